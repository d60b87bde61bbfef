"""Drift of a sliding window of predictions against a reference profile: the PSI per signal.

The population stability index, PSI = sum over bins of (window - reference) * ln(window /
reference), reads < 0.1 as no change, 0.1-0.25 as a moderate shift and > 0.25 as a major one
(Siddiqi, Credit Risk Scorecards, Wiley 2006; the properties of these rules of thumb are
studied by Yurdakul, Statistical Properties of Population Stability Index, 2018).
"""

import math
import threading
from collections import deque

from catsdogs.monitoring import signals

MODERATE, MAJOR = 0.1, 0.25
# Empty bins take this share instead of zero, so that ln() stays finite: a bin the reference
# never saw then weighs about ln(share / 1e-4) per unit of share.
EMPTY_SHARE = 1e-4


def psi(window: list[float], reference: list[float]) -> float:
    """The population stability index of two lists of bin shares."""
    total = 0.0
    for seen, expected in zip(window, reference, strict=True):
        seen, expected = max(seen, EMPTY_SHARE), max(expected, EMPTY_SHARE)
        total += (seen - expected) * math.log(seen / expected)
    return total


def level(score: float | None) -> str:
    """The traffic light of a PSI: ok, moderate, major, or unknown (no score)."""
    if score is None or math.isnan(score):
        return "unknown"
    return "major" if score > MAJOR else "moderate" if score > MODERATE else "ok"


class Window:
    """The bins of the last `size` predictions of one model, per signal, and their counts.

    Adding a prediction is a few list operations; the scores are computed when read.
    """

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._rows: deque[dict[str, int]] = deque()
        self._counts = {s.name: [0] * len(s.bins) for s in signals.ALL_SIGNALS}
        self._sums = {s.name: 0.0 for s in signals.ALL_SIGNALS if s.edges}
        self._values: deque[dict[str, float]] = deque()

    def add(self, values: dict) -> None:
        """Count one prediction's described values; forget the oldest beyond `size`."""
        bins = signals.bins_of(values)
        numbers = {name: float(values[name]) for name in self._sums if name in values}
        with self._lock:
            self._rows.append(bins)
            self._values.append(numbers)
            self._count(bins, numbers, 1)
            if len(self._rows) > self.size:
                self._count(self._rows.popleft(), self._values.popleft(), -1)

    def _count(self, bins: dict[str, int], numbers: dict[str, float], step: int) -> None:
        for name, index in bins.items():
            self._counts[name][index] += step
        for name, number in numbers.items():
            self._sums[name] += step * number

    def __len__(self) -> int:
        return len(self._rows)

    def snapshot(self) -> dict:
        """Its length, bin counts and sums: what summary() reads, and what workers merge."""
        with self._lock:
            counts = {name: list(c) for name, c in self._counts.items()}
            return {"rows": len(self._rows), "counts": counts, "sums": dict(self._sums)}

    def summary(self, reference: dict | None) -> dict[str, dict]:
        """Per signal: count, shares, mean (numeric signals) and PSI against `reference`."""
        return summarize(self.snapshot(), reference)


def merge(snapshots: list[dict]) -> dict:
    """One snapshot of several windows (each worker's): their rows, counts and sums added."""
    rows = 0
    counts: dict[str, list[int]] = {}
    sums: dict[str, float] = {}
    for snapshot in snapshots:
        rows += snapshot["rows"]
        for name, bins in snapshot["counts"].items():
            counts[name] = [
                a + b for a, b in zip(counts.get(name, [0] * len(bins)), bins, strict=True)
            ]
        for name, total in snapshot["sums"].items():
            sums[name] = sums.get(name, 0.0) + total
    return {"rows": rows, "counts": counts, "sums": sums}


def summarize(snapshot: dict, reference: dict | None) -> dict[str, dict]:
    """Per signal of a window's snapshot: count, shares, mean and PSI against `reference`."""
    counts, sums = snapshot["counts"], snapshot["sums"]
    result = {}
    for signal in signals.ALL_SIGNALS:
        seen = sum(counts.get(signal.name, ()))
        if not seen:
            continue
        shares = [c / seen for c in counts[signal.name]]
        entry = {"count": seen, "shares": shares}
        if signal.edges:
            entry["mean"] = sums[signal.name] / seen
        expected = (reference or {}).get(signal.name)
        if expected and len(expected["shares"]) == len(shares):
            entry["psi"] = psi(shares, expected["shares"])
        result[signal.name] = entry
    return result
