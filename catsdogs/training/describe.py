"""Describe a trained model: export it to ONNX, check parity, evaluate it, and build its card."""

from __future__ import annotations

import datetime
import logging
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from catsdogs.card import CLASSES
from catsdogs.store.petimages import FRACTIONS, Dataset, Split
from catsdogs.training import export, metrics, profile
from catsdogs.training.settings import Settings

if TYPE_CHECKING:  # annotations only: TensorFlow loads with catsdogs.training.train
    import keras

log = logging.getLogger(__name__)
SEMANTIC_VERSION = "1.0.0"
PARITY_IMAGES = 256


def build_card(
    model: keras.Model, model_path: Path, dataset: Dataset, dataset_section: dict,
    pixels: dict, splits: dict[str, Split], settings: Settings, history: dict, reused: bool,
) -> dict:  # fmt: skip
    """Export the assembled Keras `model` to `model_path`, check parity, evaluate it on the
    validation and test photos, and return its card (duration_s left to the caller)."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    export.export_onnx(model, model_path)
    parity = export.check_parity(model, model_path, pixels["validation"][:PARITY_IMAGES])
    architecture = (
        f"MobileNetV2 (alpha 1.0, ImageNet weights) fine-tuned from {settings.fine_tune_from}, "
        "global average pooling, dropout, sigmoid"
        + (f"; {settings.ensemble} fine-tuned tops averaged" if settings.ensemble > 1 else "")
    )
    training = {"settings": settings.as_dict(), "history": history, "versions": _versions()}
    return card_for(
        model_path, "catsdogs-mobilenetv2", architecture, parity, dataset, dataset_section,
        pixels, splits, training, reused,
    )  # fmt: skip


def card_for(
    model_path: Path, name: str, architecture: str, parity: dict, dataset: Dataset,
    dataset_section: dict, pixels: dict, splits: dict[str, Split], training: dict, reused: bool,
) -> dict:  # fmt: skip
    """The card of an exported ONNX model, whatever trained it: `training` holds its settings,
    history and library versions (duration_s is left to the caller)."""
    size = int(training["settings"]["image_size"])
    tensor_in, outputs = export.io_description(model_path)
    evaluation = evaluate_pixels(model_path, pixels, splits)
    return {
        "name": name,
        "version": export.version(SEMANTIC_VERSION, model_path),
        "architecture": architecture,
        "file": model_path.name,
        "sha256": export.file_sha256(model_path),
        "input": tensor_in,
        "output": outputs[0],
        "outputs": outputs,
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
            "machine": f"{platform.machine()} CPU, {len(os.sched_getaffinity(0))} cores",
            "settings": training["settings"],
            # duration_s leaves out computing these, when an earlier run's copies were loaded
            "frozen_features_reused": reused,
            **{k: v for k, v in training.items() if k != "settings"},
        },
        "parity": parity,
        "evaluation": evaluation,
        # What served photos and answers are compared with (catsdogs/monitoring/model_health.py)
        "reference_profile": profile.compute(
            dataset, splits["validation"], model_path, size, "bilinear", 0.5
        ),
    }


def evaluate_pixels(model_path: Path, pixels: dict, splits: dict[str, Split]) -> dict:
    """Evaluate the exported ONNX file on the validation and test parts."""
    figures = {}
    for part in ("validation", "test"):
        p_dog = export.predict(model_path, pixels[part])[:, CLASSES.index("dog")]
        figures[part] = metrics.evaluate(splits[part].labels, p_dog, splits[part].files)
        log.info("%s accuracy %.4f", part, figures[part]["accuracy"])
    figures["validation"].pop("worst_mistakes")
    return figures


def dataset_section(dataset: Dataset, splits: dict[str, Split], skipped: int, seed: int) -> dict:
    """The card's `dataset`: the data's name and hash, and the split `card_split` reads back."""
    return {
        "name": dataset.path.name,
        "sha256": dataset.sha256(),
        "readable": sum(len(s) for s in splits.values()),
        "skipped": skipped,
        "split": {
            "seed": seed,
            "fractions": list(FRACTIONS),
            "stratified": True,
            **{part: len(s) for part, s in splits.items()},
        },
    }


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
