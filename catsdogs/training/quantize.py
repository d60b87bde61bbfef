"""An INT8 copy of a model: ONNX Runtime static quantization, calibrated on training photos.

Needs onnxruntime and onnx (the `quantize` extra), not TensorFlow. The copy is evaluated on the
same validation and test photos as its FP32 source, which is run beside it on the same pixels.
"""

import contextlib
import copy
import datetime
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from catsdogs.card import CLASSES, CardError, ModelCard
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export, metrics
from catsdogs.training.describe import evaluate_pixels

log = logging.getLogger(__name__)
SEMANTIC_VERSION = "1.1.0"  # same weights and contract as 1.0.0, another numeric format
CALIBRATION_IMAGES = 256
GATE_POINTS = 0.3  # the most test accuracy, in percentage points, the INT8 copy may lose
# Chosen by measurement (docs/performance.md): per-tensor weights ruin the depthwise layers,
# and the small head (average, dense, sigmoid, mean) is left in FP32: it is cheap to run.
SETTINGS = {
    "format": "QDQ",
    "per_channel": True,
    "activations": "uint8",
    "weights": "int8",
    "operators": ["Conv", "Add"],
    "calibration": "MinMax",
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
    card = _card(fp32, target, evaluation, splits, per_class)
    card["parity"] = _parity(fp32["version"], p_int8, p_fp32)
    card["quantization"] = {  # what the registry's promote gate and a reader need
        "source": {"file": source.name, "version": fp32["version"], "sha256": fp32["sha256"]},
        "settings": SETTINGS,
        "calibration": {"split": "train", "images": len(used), "seed": seed},
        "gate": _gate(splits["test"].labels, p_int8, p_fp32),
        "date": datetime.date.today().isoformat(),
        "duration_s": round(time.monotonic() - started, 1),
        "machine": f"{platform.machine()} CPU, {len(os.sched_getaffinity(0))} cores",
        # ONNX Runtime's INT8 kernels differ with these, and so may the figures above: without
        # VNNI, uint8 x int8 products are summed in pairs into 16 bits, which can saturate.
        "instruction_sets": _instruction_sets(),
        "versions": _versions(),
    }
    export.write_cards(card, target)
    return card


def quantize_model(source: Path, target: Path, calibration: np.ndarray, input_name: str) -> None:
    """Quantize `source` into `target`, activation ranges taken from `calibration` pixels."""
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
        with _quiet_root_logger():  # a line per tensor, logged on the root logger
            quantize_static(
                str(prepared),
                str(target),
                _Photos(calibration, input_name),
                quant_format=QuantFormat.QDQ,
                per_channel=SETTINGS["per_channel"],
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=SETTINGS["operators"],
                calibrate_method=CalibrationMethod.MinMax,
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
    """The calibration photos, one at a time, as ONNX Runtime's calibration reader expects."""

    def __init__(self, pixels: np.ndarray, input_name: str):
        self._feeds = (
            {input_name: pixels[i : i + 1].astype(np.float32)} for i in range(len(pixels))
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


def _card(fp32: dict, target: Path, evaluation: dict, splits: dict, per_class: int | None) -> dict:
    card = copy.deepcopy(fp32)
    sha256 = export.file_sha256(target)
    tensor_in, outputs = export.io_description(target)
    # The detector's threshold and the heatmap's figures were measured on the FP32 model's
    # outputs: an INT8 copy would need its own calibration (python -m catsdogs.training trust).
    for section in ("neither", "cam"):
        card.pop(section, None)
    card.update(
        name=f"{fp32['name']}-int8",
        version=export.version(SEMANTIC_VERSION, target),
        architecture=f"{fp32['architecture']}; INT8 copy of {fp32['version']} "
        "(ONNX Runtime static quantization, per-channel weights)",
        file=target.name,
        sha256=sha256,
        input=tensor_in,
        output=outputs[0],
        outputs=outputs,
        # Chosen again on the INT8 copy's own validation photos, as training does.
        unsure_below=metrics.unsure_below(evaluation["validation"]["reliability"]),
        evaluation=evaluation,
    )
    if per_class:  # the figures then describe a smaller split than the FP32 card's
        card["dataset"]["split"].update({part: len(s) for part, s in splits.items()})
        card["dataset"]["split"]["max_images_per_class"] = per_class
    return card


def _parity(version: str, p_int8: np.ndarray, p_fp32: np.ndarray) -> dict:
    return {
        "against": f"FP32 model {version}",
        "images": int(len(p_int8)),
        "max_abs_difference": round(float(np.max(np.abs(p_int8 - p_fp32))), 5),
        "mean_abs_difference": round(float(np.mean(np.abs(p_int8 - p_fp32))), 5),
        "same_answer": round(float(np.mean((p_int8 >= 0.5) == (p_fp32 >= 0.5))), 5),
    }


def _gate(labels: list[int], p_int8: np.ndarray, p_fp32: np.ndarray) -> dict:
    """Test accuracy of both models on the same photos, and whether INT8 is within the gate."""
    y = np.asarray(labels)
    int8 = float(np.mean((p_int8 >= 0.5) == y))
    fp32 = float(np.mean((p_fp32 >= 0.5) == y))
    return {
        "test_images": int(len(y)),
        "fp32_accuracy": round(fp32, 5),
        "int8_accuracy": round(int8, 5),
        "change_points": round(100 * (int8 - fp32), 3),
        "limit_points": GATE_POINTS,
        "within": bool(100 * (fp32 - int8) <= GATE_POINTS + 1e-9),
    }


def _instruction_sets() -> list[str]:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next(
        (
            line.split(":", 1)[1].split()
            for line in cpuinfo.splitlines()
            if line.startswith("flags")
        ),
        [],
    )
    return sorted(set(flags) & {"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"})


def _versions() -> dict:
    import onnx
    import onnxruntime

    return {
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "onnx": onnx.__version__,
    }
