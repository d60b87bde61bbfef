"""`make bench BENCH_ARGS=--compare`: the FP32 model against its INT8 copy on this machine.

One thread each, in interleaved rounds (the order alternating) so that a busy second on a shared
machine hits both; the accuracies are the cards' own, measured on the same test split. Only this
section of reports/bench.md is rewritten: the rest of the report keeps its last full run.
"""

import datetime
import os
import platform
import re
import statistics
from pathlib import Path

import numpy as np

from bench.floor import _session
from bench.trust import _median_ms
from catsdogs.card import ModelCard
from catsdogs.serving.precision import cpu_flags, has_vnni

TITLE = "## FP32 and INT8 (make bench BENCH_ARGS=--compare)"
SHOWN_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def int8_copy(model: str) -> str:
    """The INT8 copy `make quantize` writes beside `model`."""
    path = Path(model)
    return str(path.with_name(f"{path.stem}-int8.onnx"))


def measure(fp32: str, int8: str, rounds: int = 8, runs: int = 100) -> dict:
    """One-thread p50 of both models over `rounds` interleaved rounds, and their cards."""
    cards = {"fp32": ModelCard.for_model(fp32), "int8": ModelCard.for_model(int8)}
    size = cards["fp32"].input_size
    pixels = np.random.default_rng(0).uniform(0, 255, (1, size[1], size[0], 3))
    sessions = {"fp32": _session(fp32, 1), "int8": _session(int8, 1)}
    medians: dict[str, list[float]] = {name: [] for name in sessions}
    for number in range(rounds):
        order = list(sessions) if number % 2 == 0 else list(reversed(sessions))
        for name in order:
            feed = pixels.astype(np.float32)
            medians[name].append(_median_ms(sessions[name], cards[name].input_name, feed, runs))
    flags = cpu_flags()
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "cpu": _cpu_name(),
        "instruction_sets": [flag for flag in SHOWN_FLAGS if flag in flags],
        "vnni": has_vnni(flags),
        "rounds": rounds,
        "runs_per_round": runs,
        "models": {name: _figures(cards[name], medians[name]) for name in cards},
    }


def _figures(card: ModelCard, medians: list[float]) -> dict:
    return {
        "file": card.model_path.name,
        "version": card.model_version,
        "file_mb": round(card.model_path.stat().st_size / 1e6, 1),
        "p50_ms": round(statistics.median(medians), 3),
        "round_p50s_ms": [round(m, 3) for m in medians],
        "test_accuracy": card.data["evaluation"]["test"]["accuracy"],
        "test_images": card.data["evaluation"]["test"]["images"],
        "gate_within": card.data.get("quantization", {}).get("gate", {}).get("within"),
    }


def _cpu_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else "unknown"


def markdown(result: dict) -> list[str]:
    """The report's section: both models' one-thread p50 and test accuracy."""
    fp32, int8 = result["models"]["fp32"], result["models"]["int8"]
    flags = ", ".join(result["instruction_sets"]) or "none of " + ", ".join(SHOWN_FLAGS)
    points = 100 * (int8["test_accuracy"] - fp32["test_accuracy"])
    gate = {True: "passed", False: "failed"}.get(int8["gate_within"], "not recorded")
    return [
        TITLE,
        "",
        f"{result['date']}, {result['cpu']} ({result['machine']}; {flags}: VNNI "
        f"{'yes' if result['vnni'] else 'no'}). One thread each, {result['rounds']} interleaved "
        f"rounds of {result['runs_per_round']} runs; accuracy from each card "
        f"({fp32['test_images']} test photos).",
        "",
        "| model | version | MB | one-thread p50 ms | test accuracy |",
        "|---|---|---|---|---|",
        *(
            f"| {m['file']} | {m['version']} | {m['file_mb']} | {m['p50_ms']} | "
            f"{m['test_accuracy']:.2%} |"
            for m in (fp32, int8)
        ),
        "",
        f"INT8 takes {int8['p50_ms'] / fp32['p50_ms']:.2f}x FP32's time and changes test accuracy "
        f"by {points:+.2f} points (its card's 0.3-point gate: {gate}). The machine may be shared: "
        "compare the two rows, not figures from another run.",
    ]


def write_section(report: Path, section: list[str]) -> None:
    """Put `section` in `report` in place of its last version (appended the first time)."""
    text = report.read_text().rstrip("\n") if report.exists() else "# Benchmark"
    block = "\n".join(section)
    start = text.find(TITLE)
    if start < 0:
        text = f"{text}\n\n{block}"
    else:
        following = text.find("\n## ", start + len(TITLE))
        text = text[:start] + block + ("\n" + text[following:] if following >= 0 else "")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text + "\n")
