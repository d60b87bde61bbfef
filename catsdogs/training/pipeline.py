"""Train, export and evaluate a model end to end, and re-evaluate a shipped one."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catsdogs.card import ModelCard
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export
from catsdogs.training.describe import build_card, dataset_section, evaluate_pixels
from catsdogs.training.features import feature_key, reuse_features, train_views
from catsdogs.training.settings import Settings

if TYPE_CHECKING:  # annotations only: TensorFlow and PyTorch load with their training paths
    import keras

    from catsdogs.training.lite.settings import LiteSettings

log = logging.getLogger(__name__)


def load_splits(
    dataset: Dataset, card: dict, size: int
) -> tuple[dict[str, np.ndarray], dict[str, Split], int]:
    """The card's split of the dataset, every part decoded; pixels, splits and the skip count."""
    pixels, splits, skipped = {}, {}, 0
    for part, split in card_split(dataset, card).items():
        pixels[part], splits[part] = dataset.load(split, size)
        skipped += len(split) - len(splits[part])
        log.info("%s: %d images decoded", part, len(splits[part]))
    return pixels, splits, skipped


def load_planned_splits(
    dataset: Dataset, settings: Settings | LiteSettings
) -> tuple[dict[str, np.ndarray], dict[str, Split], int]:
    """The split a run with `settings` trains on, decoded at its size: the card it writes
    records that split as card_split reads it back."""
    planned = {
        "dataset": {"split": {"seed": settings.seed}},
        "training": {"settings": settings.as_dict()},
    }
    return load_splits(dataset, planned, settings.image_size)


def train(
    dataset_path: Path,
    weights: Path,
    model_path: Path,
    settings: Settings,
    feature_cache: Path | None = None,
) -> dict:
    """Train the model, export it to `model_path` with its cards; return the JSON card.

    `feature_cache`, a folder, keeps the frozen part's outputs between runs that share the data,
    cut, size, seed and views (they do not depend on the other settings).
    """
    from catsdogs.training import train as keras_train

    started = time.monotonic()
    keras_train.set_seeds(settings.seed)
    dataset = Dataset(dataset_path)
    size = settings.image_size
    pixels, splits, skipped = load_planned_splits(dataset, settings)
    backbone = keras_train.build_backbone(size, str(weights))
    bottom, top = keras_train.split_backbone(backbone, settings.fine_tune_from)
    batch = settings.batch_size

    key = feature_key(dataset, settings)
    reused: list[str] = []  # names of the cached feature sets this run loaded instead of computing
    views = 2 + settings.augmented_views
    train_x = reuse_features(
        reused,
        feature_cache,
        f"{key}-train-{views}views",
        lambda: train_views(bottom, pixels["train"], settings),
    )
    train_y = np.array(splits["train"].labels * views, dtype=np.float32)
    val_x = reuse_features(
        reused,
        feature_cache,
        f"{key}-validation",
        lambda: keras_train.cached_features(bottom, pixels["validation"], batch),
    )
    val_y = np.array(splits["validation"].labels, dtype=np.float32)
    members, history = fit_members(top, train_x, train_y, val_x, val_y, settings)
    del train_x
    section = dataset_section(dataset, splits, skipped, settings.seed)
    card = build_card(
        keras_train.assemble(bottom, members, size), model_path, dataset, section, pixels,
        splits, settings, history, bool(reused),
    )  # fmt: skip
    card["training"]["duration_s"] = round(time.monotonic() - started, 1)
    export.write_cards(card, model_path)
    return card


def fit_members(
    top: keras.Model,
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    settings: Settings,
) -> tuple[list, dict]:
    """Fine-tune `settings.ensemble` copies of the top blocks with their heads on features;
    return the (top, head) pairs and the training history."""
    from catsdogs.training import train as keras_train

    imagenet_top = top.get_weights()
    members, histories = [], []
    for member in range(settings.ensemble):
        suffix = f"_{member + 1}" if member else ""
        if member:  # each further copy starts again from ImageNet weights, with its own seed
            keras_train.set_seeds(settings.seed + member)
            top = keras_train.copy_top(top, imagenet_top, f"top{suffix}")
        head = keras_train.build_head(settings.dropout, suffix)
        histories.append(
            keras_train.train_top(
                top, head, train_x, train_y, val_x, val_y, settings, settings.seed + member
            )
        )
        members.append((top, head))
    return members, histories[0] if len(histories) == 1 else {"members": histories}


def reevaluate(dataset_path: Path, model_path: Path) -> tuple[dict, dict]:
    """Recompute the shipped card's figures from the ONNX file; return (card's, measured)."""
    card = ModelCard.for_model(model_path).data
    size = card["preprocessing"]["resize"]["size"][0]
    pixels, splits, _ = load_splits(Dataset(dataset_path), card, size)
    return card["evaluation"], evaluate_pixels(model_path, pixels, splits)
