"""Train, export and evaluate a model end to end, and re-evaluate a shipped one."""

import datetime
import logging
import platform
import time
from pathlib import Path

import numpy as np

from catsdogs.card import ModelCard
from catsdogs.training import export, metrics, profile
from catsdogs.card import CLASSES
from catsdogs.training.data import Dataset, Split, stratified_split

log = logging.getLogger(__name__)
SEMANTIC_VERSION = "1.0.0"
PARITY_IMAGES = 256


def load_splits(dataset: Dataset, seed: int, size: int, per_class: int | None = None):
    """Split the dataset and decode every part; return pixels, splits and the skip count."""
    files, labels = dataset.labelled_files()
    if per_class:
        files, labels = first_per_class(files, labels, per_class)
    pixels, splits, skipped = {}, {}, 0
    for part, split in stratified_split(files, labels, seed).items():
        pixels[part], splits[part] = dataset.load(split, size)
        skipped += len(split) - len(splits[part])
        log.info("%s: %d images decoded", part, len(splits[part]))
    return pixels, splits, skipped


def first_per_class(files, labels, limit):
    """The first `limit` files of each class, in order (a smaller dataset for quick runs)."""
    kept = [
        (f, y)
        for y in (0, 1)
        for f in [f for f, z in zip(files, labels, strict=True) if z == y][:limit]
    ]
    return [f for f, _ in kept], [y for _, y in kept]


def train(
    dataset_path: Path, weights: Path, model_path: Path, settings, feature_cache: Path | None = None
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
    pixels, splits, skipped = load_splits(
        dataset, settings.seed, size, settings.max_images_per_class
    )
    backbone = keras_train.build_backbone(size, str(weights))
    bottom, top = keras_train.split_backbone(backbone, settings.fine_tune_from)
    batch = settings.batch_size

    key = feature_key(dataset, settings)
    reused = []  # names of the cached feature sets this run loaded instead of computing
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
    section = _dataset_section(dataset, splits, skipped, settings.seed)
    card = build_card(
        keras_train.assemble(bottom, members, size), model_path, dataset, section, pixels,
        splits, settings, history, bool(reused),
    )  # fmt: skip
    card["training"]["duration_s"] = round(time.monotonic() - started, 1)
    export.write_cards(card, model_path)
    return card


def train_views(bottom, pixels: np.ndarray, settings) -> np.ndarray:
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


def feature_key(dataset: Dataset, settings) -> str:
    """What the frozen part's cached outputs depend on: data, size, cut, seed and subset."""
    return (
        f"{dataset.sha256()[:16]}-{settings.image_size}px-{settings.fine_tune_from}"
        f"-seed{settings.seed}-{settings.max_images_per_class or 'all'}"
    )


def fit_members(top, train_x, train_y, val_x, val_y, settings) -> tuple[list, dict]:
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


def build_card(
    model, model_path: Path, dataset: Dataset, dataset_section: dict, pixels: dict,
    splits: dict[str, Split], settings, history: dict, reused: bool,
) -> dict:  # fmt: skip
    """Export the assembled Keras `model` to `model_path`, check parity, evaluate it on the
    validation and test photos, and return its card (duration_s left to the caller)."""
    size = settings.image_size
    model_path.parent.mkdir(parents=True, exist_ok=True)
    export.export_onnx(model, model_path)
    parity = export.check_parity(model, model_path, pixels["validation"][:PARITY_IMAGES])
    tensor_in, tensor_out = export.io_description(model_path)
    evaluation = evaluate_pixels(model_path, pixels, splits)
    return {
        "name": "catsdogs-mobilenetv2",
        "version": f"{SEMANTIC_VERSION}+{export.file_sha256(model_path)[:8]}",
        "architecture": "MobileNetV2 (alpha 1.0, ImageNet weights) fine-tuned from "
        f"{settings.fine_tune_from}, global average pooling, dropout, sigmoid"
        + (f"; {settings.ensemble} fine-tuned tops averaged" if settings.ensemble > 1 else ""),
        "file": model_path.name,
        "sha256": export.file_sha256(model_path),
        "input": tensor_in,
        "output": tensor_out,
        "preprocessing": {
            "resize": {"method": "bilinear", "size": [size, size], "keep_aspect_ratio": False},
            "layout": "NHWC",
            "channel_order": "RGB",
            "value_range": [0, 255],
            "exif_orientation": True,
            "transparency": "composited on white",
        },
        "classes": list(CLASSES),
        "threshold": 0.5,
        # Chosen on validation photos, so the test figures still judge it.
        "unsure_below": metrics.unsure_below(evaluation["validation"]["reliability"]),
        "dataset": dataset_section,
        "training": {
            "date": datetime.date.today().isoformat(),
            "duration_s": None,
            "machine": f"{platform.machine()} CPU, {_cpu_count()} cores",
            "settings": settings.as_dict(),
            # duration_s leaves out computing these, when an earlier run's copies were loaded
            "frozen_features_reused": reused,
            "history": history,
            "versions": _versions(),
        },
        "parity": parity,
        "evaluation": evaluation,
        # What served photos and answers are compared with (catsdogs/monitoring/model_health.py)
        "reference_profile": profile.compute(
            dataset, splits["validation"], model_path, size, "bilinear", 0.5
        ),
    }


def reuse_features(reused: list, folder: Path | None, name: str, compute) -> np.ndarray:
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


def evaluate_pixels(model_path: Path, pixels: dict, splits: dict[str, Split]) -> dict:
    """Evaluate the exported ONNX file on the validation and test parts."""
    figures = {}
    for part in ("validation", "test"):
        p_dog = export.predict(model_path, pixels[part])[:, CLASSES.index("dog")]
        figures[part] = metrics.evaluate(splits[part].labels, p_dog, splits[part].files)
        log.info("%s accuracy %.4f", part, figures[part]["accuracy"])
    figures["validation"].pop("worst_mistakes")
    return figures


def reevaluate(dataset_path: Path, model_path: Path) -> tuple[dict, dict]:
    """Recompute the shipped card's figures from the ONNX file; return (card's, measured)."""
    card = ModelCard.for_model(model_path).data
    settings = card["training"]["settings"]
    pixels, splits, _ = load_splits(
        Dataset(dataset_path),
        card["dataset"]["split"]["seed"],
        card["preprocessing"]["resize"]["size"][0],
        settings.get("max_images_per_class"),
    )
    return card["evaluation"], evaluate_pixels(model_path, pixels, splits)


def _dataset_section(dataset: Dataset, splits, skipped: int, seed: int) -> dict:
    return {
        "name": dataset.path.name,
        "sha256": dataset.sha256(),
        "readable": sum(len(s) for s in splits.values()),
        "skipped": skipped,
        "split": {
            "seed": seed,
            "fractions": [0.8, 0.1, 0.1],
            "stratified": True,
            **{part: len(s) for part, s in splits.items()},
        },
    }


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _versions() -> dict:
    import keras
    import onnxruntime
    import tensorflow

    return {
        "python": platform.python_version(),
        "tensorflow": tensorflow.__version__,
        "keras": keras.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
