"""Which numeric format answers: the FP32 model, or the INT8 copy its registry version offers.

INT8 pays only where the CPU multiplies 8-bit integers in one instruction (VNNI or AMX): without
it, ONNX Runtime's INT8 kernels run no faster than FP32 (docs/performance.md). So `auto` takes the
copy only on such a CPU, and only a copy whose card says it passed its accuracy gate.
"""

from __future__ import annotations

import json
from pathlib import Path

from catsdogs.registry.int8 import gate_passed

PRECISIONS = ("auto", "fp32", "int8")
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The instruction-set flags of the first CPU /proc/cpuinfo lists; none if unreadable."""
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        return frozenset()
    flags = (line.split(":", 1)[1].split() for line in lines if line.startswith("flags"))
    return frozenset(next(flags, []))


def has_vnni(flags: frozenset[str]) -> bool:
    return bool(flags & VNNI_FLAGS)


def wanted(setting: str, offered: bool, vnni: bool) -> str:
    """The precision MODEL_PRECISION asks for, given an INT8 copy offered (or not) and the CPU.

    `int8` takes a passed copy on any CPU (to measure one); `auto` only on a VNNI CPU.
    """
    if not offered or setting == "fp32":
        return "fp32"
    return "int8" if setting == "int8" or vnni else "fp32"


def packaged_copy(model: Path) -> Path | None:
    """The INT8 copy packaged beside `model` (`<name>-int8.onnx`) if its card says it passed."""
    copy = model.with_name(f"{model.stem}-int8.onnx")
    try:
        card = json.loads(copy.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None
    return copy if copy.is_file() and isinstance(card, dict) and gate_passed(card) else None


def check_setting(setting: str) -> None:
    if setting not in PRECISIONS:
        raise ValueError(f"MODEL_PRECISION must be one of {', '.join(PRECISIONS)}")
