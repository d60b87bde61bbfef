"""What a reviewer's label would teach: the value score that orders the review queue.

Plain arithmetic on a prediction's stored figures, shared by the queue (review.py writes the same
sum in SQL) and by the replay that measured the order (catsdogs/training/replay.py). Each part
is 0 to 1; the score is their weighted sum; docs/review.md says why each part is there.
"""

import math

# The model hesitated; the challenger answered otherwise; the person voted "wrong"; the detector
# found it unlike a pet; its class is the rarer one among the labels reviewed so far.
WEIGHTS = {"unsure": 1.0, "challenger": 1.0, "wrong": 1.0, "neither": 1.0, "balance": 0.5}
UNSURE_BELOW = 0.8  # a card says "unsure" under this confidence
NEAR_NEITHER = 0.8  # a detector score above this share of its threshold: "maybe neither"
NEAR_NEITHER_PART = 0.5  # what "near" counts for, against 1 for the model's own "neither"
BALANCE_SHOWN = 0.5  # a card names the rarer class when its balance part reaches this


def unsure(proba_dog: float | None) -> float:
    """1 when the two classes are even, 0 when one is certain (1 - the margin |p_dog - p_cat|)."""
    return 0.0 if proba_dog is None else 1.0 - abs(2.0 * proba_dog - 1.0)


def neither(answered_neither: bool, score: float | None, threshold: float) -> float:
    """1 for the model's own "not a cat or a dog", NEAR_NEITHER_PART close to its threshold."""
    if answered_neither:
        return 1.0
    near = math.isfinite(threshold) and score is not None and score >= NEAR_NEITHER * threshold
    return NEAR_NEITHER_PART if near else 0.0


def balance(predicted: str, reviewed: dict[str, int]) -> float:
    """How rare `predicted` is among the reviewed cat and dog labels: 1 when none of them is
    that class, 0 at half or more (and 0 before any review: nothing to balance yet)."""
    total = reviewed.get("cat", 0) + reviewed.get("dog", 0)
    if predicted not in ("cat", "dog") or total == 0:
        return 0.0
    return max(0.0, 1.0 - 2.0 * reviewed.get(predicted, 0) / total)


def score(parts: dict[str, float]) -> float:
    """The weighted sum of a photo's parts (missing parts count 0)."""
    return sum(weight * parts.get(name, 0.0) for name, weight in WEIGHTS.items())
