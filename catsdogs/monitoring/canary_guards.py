"""The canary's guard rails: what the app saw of its champion and its canary over a sliding
window, and the guards that say when the canary misbehaves.

Each guard compares the canary with the champion over the same seconds, so that a busy machine,
which slows both, trips nothing; none speaks before its minimum sample.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

ROLES = ("champion", "canary")
GUARDS = ("errors", "latency", "disagreement", "unsure", "wrong_votes")
Z_95 = 1.959964  # the two-sided 95% normal quantile of the Wilson interval


@dataclass(frozen=True)
class Limits:
    """The guards' thresholds (CANARY_* settings, docs/configuration.md)."""

    window: float = 120.0  # seconds of answers the guards read
    vote_window: float = 3600.0  # votes come minutes after their answers
    min_answers: int = 30  # canary answers (and comparisons) before a guard may speak
    min_votes: int = 10  # votes on each role before the votes' guard may speak
    max_error_rate: float = 0.05  # failed canary predictions per canary answer
    max_latency_ratio: float = 3.0  # canary p95 against the champion's
    max_disagreement: float = 0.10  # canary answers where the champion says otherwise
    max_unsure_increase: float = 0.10  # canary "not sure" share minus the champion's


# The settings (config.py) that make the Limits, with their defaults and, by their type, parsers.
CANARY_SETTINGS = {
    "CANARY_CHECK_SECONDS": 2.0,  # how often the app judges its canary
    "CANARY_WINDOW_SECONDS": 120.0,
    "CANARY_VOTE_WINDOW_SECONDS": 3600.0,
    "CANARY_MIN_ANSWERS": 30,
    "CANARY_MIN_VOTES": 10,
    "CANARY_MAX_ERROR_RATE": 0.05,
    "CANARY_MAX_LATENCY_RATIO": 3.0,
    "CANARY_MAX_DISAGREEMENT": 0.10,
    "CANARY_MAX_UNSURE_INCREASE": 0.10,
}


def limits_from(config: Mapping) -> Limits:
    """The guards as the CANARY_* settings say; ValueError naming a setting that cannot work."""
    for name in ("CANARY_CHECK_SECONDS", "CANARY_WINDOW_SECONDS", "CANARY_VOTE_WINDOW_SECONDS"):
        if config[name] <= 0:
            raise ValueError(f"{name} must be above 0")
    for name in ("CANARY_MIN_ANSWERS", "CANARY_MIN_VOTES"):
        if config[name] < 1:
            raise ValueError(f"{name} must be at least 1")
    for name in ("CANARY_MAX_ERROR_RATE", "CANARY_MAX_DISAGREEMENT", "CANARY_MAX_UNSURE_INCREASE"):
        if not 0 <= config[name] <= 1:
            raise ValueError(f"{name} must be a share between 0 and 1")
    if config["CANARY_MAX_LATENCY_RATIO"] < 1:
        raise ValueError("CANARY_MAX_LATENCY_RATIO must be at least 1 (the champion's own p95)")
    return Limits(
        window=config["CANARY_WINDOW_SECONDS"],
        vote_window=config["CANARY_VOTE_WINDOW_SECONDS"],
        min_answers=config["CANARY_MIN_ANSWERS"],
        min_votes=config["CANARY_MIN_VOTES"],
        max_error_rate=config["CANARY_MAX_ERROR_RATE"],
        max_latency_ratio=config["CANARY_MAX_LATENCY_RATIO"],
        max_disagreement=config["CANARY_MAX_DISAGREEMENT"],
        max_unsure_increase=config["CANARY_MAX_UNSURE_INCREASE"],
    )


@dataclass(frozen=True)
class Trip:
    guard: str  # one of GUARDS
    detail: str  # the figures, in words, for the registry and Discord


def wilson_bounds(events: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `events / trials` (0, 1 with no trial)."""
    if trials == 0:
        return 0.0, 1.0
    share = events / trials
    denominator = 1 + z * z / trials
    centre = share + z * z / (2 * trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank) of non-empty `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Window:
    """Timestamped samples, dropped once older than `seconds`; safe across threads."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._samples: deque[tuple[float, object]] = deque()
        self._lock = threading.Lock()

    def add(self, value: object) -> None:
        with self._lock:
            self._samples.append((self.clock(), value))
            self._expire()

    def values(self) -> list:
        with self._lock:
            self._expire()
            return [value for _, value in self._samples]

    def clear(self) -> None:
        with self._lock:
            self._samples.clear()

    def _expire(self) -> None:
        oldest = self.clock() - self.seconds
        while self._samples and self._samples[0][0] < oldest:
            self._samples.popleft()


class CanaryFigures:
    """What the app saw of each role's answers, its comparisons and its votes."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        # (seconds, unsure) per answer; None for a failed prediction
        self.answers = {role: Window(limits.window, clock) for role in ROLES}
        self.compared = Window(limits.window, clock)  # True: the champion said otherwise
        self.votes = {role: Window(limits.vote_window, clock) for role in ROLES}  # True: wrong

    def answered(self, role: str, seconds: float, unsure: bool) -> None:
        self.answers[role].add((seconds, unsure))

    def failed(self, role: str) -> None:
        self.answers[role].add(None)

    def compare(self, disagree: bool) -> None:
        self.compared.add(disagree)

    def voted(self, role: str, wrong: bool) -> None:
        self.votes[role].add(wrong)

    def clear(self) -> None:
        """Start afresh: a new canary is judged on its own answers."""
        for window in (*self.answers.values(), self.compared, *self.votes.values()):
            window.clear()

    def summary(self) -> dict:
        """The window's figures per role, as the guards, /health and the page read them."""
        roles = {}
        for role in ROLES:
            samples = self.answers[role].values()
            done = [s for s in samples if s is not None]
            votes = self.votes[role].values()
            roles[role] = {
                "answers": len(samples),
                "errors": len(samples) - len(done),
                "unsure": sum(1 for _, unsure in done if unsure),
                "p95_seconds": p95([seconds for seconds, _ in done]) if done else None,
                "votes": len(votes),
                "wrong_votes": sum(votes),
            }
        compared = self.compared.values()
        return {"roles": roles, "compared": len(compared), "disagreements": sum(compared)}


def evaluate(summary: dict, limits: Limits) -> list[Trip]:
    """The guards a window's `summary` trips; empty while the canary behaves (or is too young
    to judge)."""
    champion, canary = summary["roles"]["champion"], summary["roles"]["canary"]
    trips = []
    if canary["answers"] >= limits.min_answers:
        rate = canary["errors"] / canary["answers"]
        if rate > limits.max_error_rate:
            detail = f"{canary['errors']} of {canary['answers']} canary predictions failed"
            trips.append(
                Trip("errors", f"{detail} ({rate:.1%}, at most {limits.max_error_rate:.1%})")
            )
    trips += _latency(champion, canary, limits)
    if summary["compared"] >= limits.min_answers:
        share = summary["disagreements"] / summary["compared"]
        if share > limits.max_disagreement:
            detail = f"the champion disagrees on {summary['disagreements']} of "
            detail += f"{summary['compared']} photos ({share:.1%}, "
            trips.append(Trip("disagreement", f"{detail}at most {limits.max_disagreement:.1%})"))
    trips += _unsure(champion, canary, limits)
    trips += _votes(champion, canary, limits)
    return trips


def _answered(role: dict) -> int:
    return role["answers"] - role["errors"]


def _latency(champion: dict, canary: dict, limits: Limits) -> list[Trip]:
    if min(_answered(champion), _answered(canary)) < limits.min_answers:
        return []
    ratio = canary["p95_seconds"] / max(champion["p95_seconds"], 1e-6)
    if ratio <= limits.max_latency_ratio:
        return []
    mine, theirs = canary["p95_seconds"] * 1000, champion["p95_seconds"] * 1000
    detail = f"canary p95 {mine:.1f} ms is {ratio:.1f} times the champion's {theirs:.1f} ms"
    return [Trip("latency", f"{detail} (at most {limits.max_latency_ratio:g})")]


def _unsure(champion: dict, canary: dict, limits: Limits) -> list[Trip]:
    if min(_answered(champion), _answered(canary)) < limits.min_answers:
        return []
    mine, theirs = canary["unsure"] / _answered(canary), champion["unsure"] / _answered(champion)
    if mine - theirs <= limits.max_unsure_increase:
        return []
    detail = f"canary 'not sure' on {mine:.1%} of its answers, the champion on {theirs:.1%}"
    return [Trip("unsure", f"{detail} (at most {limits.max_unsure_increase:.0%} more)")]


def _votes(champion: dict, canary: dict, limits: Limits) -> list[Trip]:
    """Trip when even the Wilson lower bound of the canary's "wrong" share is above the
    champion's share: chance alone would rarely put it there."""
    if min(champion["votes"], canary["votes"]) < limits.min_votes:
        return []
    low, _ = wilson_bounds(canary["wrong_votes"], canary["votes"])
    theirs = champion["wrong_votes"] / champion["votes"]
    if low <= theirs:
        return []
    detail = f"{canary['wrong_votes']} of {canary['votes']} votes on canary answers say wrong"
    detail += f" (95% lower bound {low:.1%}), against {theirs:.1%} on the champion's"
    return [Trip("wrong_votes", detail)]
