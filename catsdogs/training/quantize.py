"""An INT8 copy of a model: ONNX Runtime static quantization, calibrated on training photos.

Needs onnxruntime and onnx (the `quantize` extra), not TensorFlow. The copy is evaluated on the
same validation and test photos as its FP32 source, which is run beside it on the same pixels.
"""

import contextlib
import datetime
import logging
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from catsdogs.card import CLASSES, CardError, ModelCard
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export
from catsdogs.training import quantize_card as made
from catsdogs.training.describe import evaluate_pixels
from catsdogs.training.quantize_graph import nodes_to_quantize

log = logging.getLogger(__name__)
CALIBRATION_IMAGES = 256
# Chosen on the validation split (docs/performance.md), each setting for the points it saved.
OPERATORS = ["Conv", "Add"]
PERCENTILE = 99.999  # of each activation's calibration values: its range's two ends
SETTINGS: dict[str, object] = {
    "format": "QDQ",
    "per_channel": True,  # per-tensor weights ruin the depthwise layers
    "activations": "uint8",
    "weights": "int8",
    "operators": OPERATORS,
    # MinMax ranges stretch to rare extremes: 1.2 validation points lost, against 0.25 here
    "calibration": "Percentile",
    "percentile": PERCENTILE,
    # Kept FP32 (catsdogs/training/quantize_graph.py): the first convolution sees raw pixels and
    # the last ones feed heads, maps and detector; those after the pools are small anyway.
    "kept_in_fp32": "first convolution, last convolution of each top, all after the pools",
}


def int8_path(model: Path) -> Path:
    """Where the INT8 copy of `model` goes: `<name>-int8.onnx` beside it."""
    return model.with_name(f"{model.stem}-int8.onnx")


def quantize(
    dataset_path: Path,
    source: Path,
    target: Path,
    calibration_images: int = CALIBRATION_IMAGES,
    per_class: int | None = None,
    seed: int = 0,
) -> dict:
    """Write the INT8 copy of `source` to `target` with its two cards; return the JSON card."""
    started = time.monotonic()
    fp32 = ModelCard.for_model(source).data
    dataset = Dataset(dataset_path)
    if dataset.sha256() != fp32["dataset"]["sha256"]:
        raise CardError(f"{dataset_path} is not the dataset {source.name} was evaluated on")
    size = fp32["preprocessing"]["resize"]["size"][0]
    parts = card_split(dataset, _cut(fp32, per_class))
    chosen = calibration_split(parts["train"], calibration_images, seed)
    calibration, used = dataset.load(chosen, size)
    log.info("calibrating on %d training photos", len(used))
    quantize_model(source, target, calibration, fp32["input"]["name"])
    pixels, splits = {}, {}
    for part in ("validation", "test"):
        pixels[part], splits[part] = dataset.load(parts[part], size)
    evaluation = evaluate_pixels(target, pixels, splits)
    p_int8 = export.predict(target, pixels["test"])[:, CLASSES.index("dog")]
    p_fp32 = export.predict(source, pixels["test"])[:, CLASSES.index("dog")]
    card = made.card(fp32, target, evaluation, splits, per_class)
    detector = made.detector(fp32, target, pixels["validation"])
    if detector:
        card["neither"] = detector
    card["parity"] = made.parity(fp32["version"], p_int8, p_fp32)
    card["quantization"] = {  # what the registry's promote gate and a reader need
        "source": {"file": source.name, "version": fp32["version"], "sha256": fp32["sha256"]},
        "settings": SETTINGS,
        "calibration": {"split": "train", "images": len(used), "seed": seed},
        "gate": made.gate(splits["test"].labels, p_int8, p_fp32),
        "date": datetime.date.today().isoformat(),
        "duration_s": round(time.monotonic() - started, 1),
        "machine": f"{platform.machine()} CPU, {len(os.sched_getaffinity(0))} cores",
        # ONNX Runtime's INT8 kernels differ with these, and so may the figures above: without
        # VNNI, uint8 x int8 products are summed in pairs into 16 bits, which can saturate.
        "instruction_sets": made.instruction_sets(),
        "versions": made.versions(),
    }
    export.write_cards(card, target)
    return card


def quantize_model(source: Path, target: Path, calibration: np.ndarray, input_name: str) -> None:
    """Quantize `source` into `target`, activation ranges taken from `calibration` pixels."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        # Folds the batch normalisations into the convolutions first, as ONNX Runtime does at
        # load time, so that each folded convolution gets one scale per output channel.
        prepared = Path(work) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        chosen = nodes_to_quantize(onnx.load(str(prepared)), tuple(OPERATORS))
        with _quiet_root_logger():  # a line per tensor, logged on the root logger
            quantize_static(
                str(prepared),
                str(target),
                _Photos(calibration, input_name),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=OPERATORS,
                nodes_to_quantize=chosen,
                calibrate_method=CalibrationMethod.Percentile,
                # Histograms are merged every 32 photos: all 256 photos' activations at once
                # take over 10 GB (docs/performance.md: what the merging costs).
                extra_options={
                    "CalibPercentile": PERCENTILE,
                    "CalibStridedMinMax": math.gcd(len(calibration), 32),
                },
            )


@contextlib.contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)


class _Photos:
    """The calibration photos, one at a time, as ONNX Runtime's calibration reader expects, by
    ranges of them when it asks (its strided calibration)."""

    def __init__(self, pixels: np.ndarray, input_name: str):
        self.pixels, self.input_name = pixels, input_name
        self.set_range(0, len(pixels))

    def __len__(self) -> int:
        return len(self.pixels)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._feeds = (
            {self.input_name: self.pixels[i : i + 1].astype(np.float32)}
            for i in range(start_index, min(end_index, len(self.pixels)))
        )

    def get_next(self) -> dict | None:
        return next(self._feeds, None)


def _cut(card: dict, per_class: int | None) -> dict:
    """`card`, whose split holds only the first `per_class` photos of each class (tests)."""
    if not per_class:
        return card
    split = {**card["dataset"]["split"], "max_images_per_class": per_class}
    return {**card, "dataset": {**card["dataset"], "split": split}}


def calibration_split(train: Split, count: int, seed: int) -> Split:
    """`count` training photos drawn at random, with a fixed seed."""
    chosen = np.sort(np.random.default_rng(seed).permutation(len(train))[:count])
    return Split([train.files[i] for i in chosen], [train.labels[i] for i in chosen])
