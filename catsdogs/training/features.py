"""The frozen part's outputs: every training view of the photos, and their cache on disk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catsdogs.store.petimages import Dataset
from catsdogs.training.settings import Settings

if TYPE_CHECKING:  # annotations only: TensorFlow loads with catsdogs.training.train
    import keras

log = logging.getLogger(__name__)


def train_views(bottom: keras.Model, pixels: np.ndarray, settings: Settings) -> np.ndarray:
    """Frozen features of every training photo as is, mirrored, then each random-crop view."""
    from catsdogs.training import train as keras_train

    batch = settings.batch_size
    views = [
        keras_train.cached_features(bottom, pixels, batch),
        keras_train.cached_features(bottom, pixels, batch, mirror=True),
    ]
    for view in range(settings.augmented_views):
        crops = keras_train.augment(pixels, settings.seed + view)
        views.append(keras_train.cached_features(bottom, crops, batch))
    return np.concatenate(views)


def feature_key(dataset: Dataset, settings: Settings) -> str:
    """What the frozen part's cached outputs depend on: data, size, cut, seed and subset."""
    return (
        f"{dataset.sha256()[:16]}-{settings.image_size}px-{settings.fine_tune_from}"
        f"-seed{settings.seed}-{settings.max_images_per_class or 'all'}"
    )


def reuse_features(
    reused: list, folder: Path | None, name: str, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """compute(), or its copy saved in `folder` by an earlier run (then `name` joins `reused`)."""
    if folder is None:
        return compute()
    path = folder / f"{name}.npy"
    if path.exists():
        log.info("features: reusing %s", path)
        reused.append(name)
        return np.load(path)
    features = compute()
    folder.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features
