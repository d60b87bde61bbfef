"""The replay's photos as features: ImageNet MobileNetV2, never trained on PetImages.

The packaged model's own penultimate layer was fine-tuned on these very photos: on its features
every photo is already easy and every order looks alike. ImageNet features leave the head
something to learn, as a retrain on new photos does. Computed once, cached as .npz under build/.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catsdogs.card import SHIPPED_MODEL
from catsdogs.store.petimages import Dataset, Split, card_split

if TYPE_CHECKING:  # annotations only: TensorFlow loads in _network
    import keras

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Photos:
    """Features and labels (0 cat, 1 dog) of the pool to label and of the test photos."""

    pool: np.ndarray
    pool_labels: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray


def load(
    data: Path, weights: Path, cache: Path, pool_size: int, image_size: int, seed: int
) -> Photos:
    """The card's train split sampled to `pool_size` photos, and its whole test split, as
    features: from `cache` when an earlier run with the same inputs wrote it."""
    dataset = Dataset(data)
    key = f"{dataset.sha256()[:16]}-{image_size}px-pool{pool_size}-seed{seed}"
    path = cache / f"replay-features-{key}.npz"
    if path.exists():
        log.info("replay: features from %s", path)
        with np.load(path) as saved:
            return Photos(*(saved[name] for name in ("pool", "pool_labels", "test", "test_labels")))
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    split = card_split(dataset, card)
    chosen = np.random.default_rng(seed).permutation(len(split["train"]))[:pool_size]
    pool = Split(
        [split["train"].files[i] for i in chosen], [split["train"].labels[i] for i in chosen]
    )
    network = _network(weights, image_size)
    pool_x, pool = _features(network, dataset, pool, image_size)
    test_x, test = _features(network, dataset, split["test"], image_size)
    photos = Photos(pool_x, np.array(pool.labels), test_x, np.array(test.labels))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **photos.__dict__)
    return photos


def _network(weights: Path, image_size: int) -> keras.Model:
    import keras  # TensorFlow loads only here: the simulation and its tests run without it

    return keras.applications.MobileNetV2(
        input_shape=(image_size, image_size, 3),
        include_top=False,
        weights=str(weights),
        pooling="avg",
    )


def _features(
    network: keras.Model, dataset: Dataset, split: Split, size: int
) -> tuple[np.ndarray, Split]:
    """Average-pooled 1280 features of each readable photo, 256 photos decoded at a time."""
    chunks, kept = [], Split()
    for start in range(0, len(split), 256):
        part = Split(split.files[start : start + 256], split.labels[start : start + 256])
        pixels, readable = dataset.load(part, size)
        scaled = pixels.astype(np.float32) / 127.5 - 1.0  # MobileNetV2's -1..1
        chunks.append(network.predict(scaled, batch_size=64, verbose=0).astype(np.float32))
        kept.files += readable.files
        kept.labels += readable.labels
        log.info("replay: features of %d/%d photos", start + len(part), len(split))
    return np.concatenate(chunks), kept
