"""`make bench BENCH_ARGS=--compare`: the FP32 model against its INT8 copy, or against any
other models (another backbone, its INT8 copy), on this machine.

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

TITLE = "## One thread: FP32, INT8 and other models (make bench BENCH_ARGS=--compare)"
# The section's title before other models joined it: replaced like the current one.
OLD_TITLES = ("## FP32 and INT8 (make bench BENCH_ARGS=--compare)",)
SHOWN_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def int8_copy(model: str) -> str:
    """The INT8 copy `make quantize` writes beside `model`."""
    path = Path(model)
    return str(path.with_name(f"{path.stem}-int8.onnx"))


def measure(models: list[str], rounds: int = 8, runs: int = 100) -> dict:
    """One-thread p50 of every model over `rounds` interleaved rounds (the order reversed every
    other round), each fed at its own card's input size, and their cards' figures."""
    cards = [ModelCard.for_model(model) for model in models]
    rng = np.random.default_rng(0)
    feeds = [
        rng.uniform(0, 255, (1, card.input_size[1], card.input_size[0], 3)).astype(np.float32)
        for card in cards
    ]
    sessions = [_session(model, 1) for model in models]
    medians: list[list[float]] = [[] for _ in models]
    for number in range(rounds):
        order = range(len(models)) if number % 2 == 0 else reversed(range(len(models)))
        for i in order:
            medians[i].append(_median_ms(sessions[i], cards[i].input_name, feeds[i], runs))
    flags = cpu_flags()
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "cpu": _cpu_name(),
        "instruction_sets": [flag for flag in SHOWN_FLAGS if flag in flags],
        "vnni": has_vnni(flags),
        "rounds": rounds,
        "runs_per_round": runs,
        "models": [_figures(card, times) for card, times in zip(cards, medians, strict=True)],
    }


def _figures(card: ModelCard, medians: list[float]) -> dict:
    return {
        "file": card.model_path.name,
        "path": _shown(card.model_path),
        "version": card.model_version,
        "file_mb": round(card.model_path.stat().st_size / 1e6, 1),
        "p50_ms": round(statistics.median(medians), 3),
        "round_p50s_ms": [round(m, 3) for m in medians],
        "test_accuracy": card.data["evaluation"]["test"]["accuracy"],
        "test_images": card.data["evaluation"]["test"]["images"],
        "gate_within": card.data.get("quantization", {}).get("gate", {}).get("within"),
    }


def _shown(path: Path) -> str:
    """The path as the report shows it: relative to the working directory when under it."""
    relative = os.path.relpath(path.resolve())
    return str(path) if relative.startswith("..") else relative


def _cpu_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else "unknown"


def markdown(result: dict) -> list[str]:
    """The report's section: every model's one-thread p50 and test accuracy, each against the
    first (the FP32 model the others would replace)."""
    first, *others = result["models"]
    flags = ", ".join(result["instruction_sets"]) or "none of " + ", ".join(SHOWN_FLAGS)
    lines = [
        TITLE,
        "",
        f"{result['date']}, {result['cpu']} ({result['machine']}; {flags}: VNNI "
        f"{'yes' if result['vnni'] else 'no'}). One thread each, {result['rounds']} interleaved "
        f"rounds of {result['runs_per_round']} runs; accuracy from each card "
        f"({first['test_images']} test photos).",
        "",
        "| model | version | MB | one-thread p50 ms | test accuracy |",
        "|---|---|---|---|---|",
        *(
            f"| {m['path']} | {m['version']} | {m['file_mb']} | {m['p50_ms']} | "
            f"{m['test_accuracy']:.2%} |"
            for m in result["models"]
        ),
        "",
    ]
    for model in others:
        points = 100 * (model["test_accuracy"] - first["test_accuracy"])
        gate = {True: "; its card's 0.3-point INT8 gate: passed", False: "; its card's 0.3-point "
                "INT8 gate: failed"}.get(model["gate_within"], "")  # fmt: skip
        lines.append(
            f"- {model['path']} takes {model['p50_ms'] / first['p50_ms']:.2f}x {first['path']}'s "
            f"time and changes test accuracy by {points:+.2f} points{gate}."
        )
    lines += ["", "The machine may be shared: compare rows of one run, not figures across runs."]
    return lines


def section_of(report: Path) -> list[str] | None:
    """The --compare section of `report` as its lines, None when it has none."""
    text = report.read_text().rstrip("\n") if report.exists() else ""
    span = _span(text)
    return text[slice(*span)].rstrip("\n").split("\n") if span else None


def write_section(report: Path, section: list[str]) -> None:
    """Put `section` in `report` in place of its last version (appended the first time)."""
    text = report.read_text().rstrip("\n") if report.exists() else "# Benchmark"
    block = "\n".join(section)
    span = _span(text)
    if span is None:
        text = f"{text}\n\n{block}"
    else:
        start, end = span
        text = text[:start] + block + ("\n" + text[end:] if end < len(text) else "")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text + "\n")


def _span(text: str) -> tuple[int, int] | None:
    """Where the section, under its title or an old one, starts and ends in `text`."""
    found = [(text.find(t), t) for t in (TITLE, *OLD_TITLES) if text.find(t) >= 0]
    if not found:
        return None
    start, title = min(found)
    following = text.find("\n## ", start + len(title))
    return start, following if following >= 0 else len(text)
