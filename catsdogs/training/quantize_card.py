"""The INT8 copy's card: the FP32 card with the copy's own figures, gate and detector check."""

import copy
import logging
import platform
from pathlib import Path

import numpy as np

from catsdogs.serving.precision import cpu_flags
from catsdogs.training import export, metrics

log = logging.getLogger(__name__)
SEMANTIC_VERSION = "1.1.0"  # same weights and contract as 1.0.0, another numeric format
DETECTOR_PET_LIMIT = 0.01  # the detector's own limit: at most 1% of pets called neither
GATE_POINTS = 0.3  # the most test accuracy, in percentage points, the INT8 copy may lose


def card(fp32: dict, target: Path, evaluation: dict, splits: dict, per_class: int | None) -> dict:
    """The copy's card: the FP32 card with the copy's file, outputs and figures."""
    made = copy.deepcopy(fp32)
    sha256 = export.file_sha256(target)
    tensor_in, outputs = export.io_description(target)
    # The maps keep their meaning (their convolutions stay FP32); the detector's threshold was
    # set on FP32 scores, so it stays only if `detector` finds it still right.
    made.pop("neither", None)
    made.update(
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
        made["dataset"]["split"].update({part: len(s) for part, s in splits.items()})
        made["dataset"]["split"]["max_images_per_class"] = per_class
    return made


def detector(fp32: dict, target: Path, validation: np.ndarray) -> dict | None:
    """The FP32 card's detector section, if its threshold on the copy's scores still refuses
    at most its limit of validation pets (the copy's figures added); else None."""
    section = fp32.get("neither")
    if not section:
        return None
    runner = export.session(target)
    name = runner.get_inputs()[0].name
    scores = np.concatenate(
        [
            runner.run([section["output"]], {name: validation[i : i + 64].astype(np.float32)})[0]
            for i in range(0, len(validation), 64)
        ]
    )
    refused = float(np.mean(scores > section["threshold"]))
    log.info("the detector refuses %.2f%% of validation pets on INT8 scores", 100 * refused)
    if refused > DETECTOR_PET_LIMIT:
        return None
    # Non-pets were not scored again: the INT8 backbone's features differ by little (parity).
    figures = {"validation_pets": len(scores), "refused_pets": round(refused, 5)}
    return {**section, "int8": figures | {"limit": DETECTOR_PET_LIMIT}}


def parity(version: str, p_int8: np.ndarray, p_fp32: np.ndarray) -> dict:
    return {
        "against": f"FP32 model {version}",
        "images": int(len(p_int8)),
        "max_abs_difference": round(float(np.max(np.abs(p_int8 - p_fp32))), 5),
        "mean_abs_difference": round(float(np.mean(np.abs(p_int8 - p_fp32))), 5),
        "same_answer": round(float(np.mean((p_int8 >= 0.5) == (p_fp32 >= 0.5))), 5),
    }


def gate(labels: list[int], p_int8: np.ndarray, p_fp32: np.ndarray) -> dict:
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


def instruction_sets() -> list[str]:
    return sorted(cpu_flags() & {"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"})


def versions() -> dict:
    import onnx
    import onnxruntime

    return {
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "onnx": onnx.__version__,
    }
