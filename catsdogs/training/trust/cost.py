"""What the extra outputs cost: one-photo latency of two models, measured in turns."""

import statistics
import time
from pathlib import Path

import numpy as np

from catsdogs.training.trust import extract


def latency(
    original: Path, extended: Path, pixels: np.ndarray, rounds: int = 15, runs: int = 20
) -> dict:
    """Median milliseconds per photo of each model, one thread as served, in alternating
    rounds so that a neighbour's load falls on both; the extra cost is the median of the
    per-round differences."""
    sessions = {"original": extract.session(original), "extended": extract.session(extended)}
    feeds = {
        key: {s.get_inputs()[0].name: pixels[np.newaxis].astype(np.float32)}
        for key, s in sessions.items()
    }
    for key, runner in sessions.items():  # first runs allocate; they are not timed
        for _ in range(3):
            runner.run(None, feeds[key])
    medians: dict[str, list[float]] = {key: [] for key in sessions}
    for round_number in range(rounds):
        order = list(sessions) if round_number % 2 == 0 else list(reversed(sessions))
        for key in order:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                sessions[key].run(None, feeds[key])
                times.append((time.perf_counter() - started) * 1000)
            medians[key].append(statistics.median(times))
    differences = [e - o for e, o in zip(medians["extended"], medians["original"], strict=True)]
    return {
        "threads": 1,
        "rounds": rounds,
        "runs_per_round": runs,
        "original_ms": round(statistics.median(medians["original"]), 3),
        "extended_ms": round(statistics.median(medians["extended"]), 3),
        "extra_ms": round(statistics.median(differences), 3),
    }
