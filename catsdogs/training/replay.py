"""The review order's replay: which photos should a reviewer label first?

From a small labelled start, each strategy picks the next photos to label from the same pool;
a logistic-regression head (numpy) is retrained on the labels so far and judged on the test
photos. Strategies: "oldest" (the queue's arrival order, random here), "uncertainty" (the lowest
margin only) and "value" (the review queue's score, review_value, with the parts a replay can
reproduce: margin, a challenger's disagreement, class balance). `python -m catsdogs.training
replay` runs it on cached features and writes reports/review-replay.md (docs/review.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from catsdogs.store import review_value

STRATEGIES = ("oldest", "uncertainty", "value")
CLASSES = ("cat", "dog")  # label 0, label 1
L2 = 10.0  # the head's ridge penalty, the same for every strategy and size


def schedule(start: int, pool: int) -> list[int]:
    """How many labels the head is trained on at each step: fine steps first, then wider."""
    counts, count = [], start
    while count < pool:
        counts.append(count)
        count += 20 if count < 200 else 40 if count < 400 else 80 if count < 800 else 400
    return [*counts, pool]


def project(pool: np.ndarray, test: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Both sets on the pool's first `dims` principal axes, scaled by one number so that a
    feature's variance is 1 on average: a head of a few hundred weights retrains in
    milliseconds, and its penalty still leans on the strong axes. Uses no label."""
    mean = pool.mean(axis=0)
    _, _, axes = np.linalg.svd(pool - mean, full_matrices=False)
    projected_pool, projected_test = (pool - mean) @ axes[:dims].T, (test - mean) @ axes[:dims].T
    scale = np.sqrt((projected_pool**2).mean())
    return projected_pool / scale, projected_test / scale


def fit(x: np.ndarray, y: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression with an L2 penalty (not on the bias): Newton's method, each step
    halved until the loss falls (a full step from a far start can overshoot)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    weights = np.zeros(design.shape[1]) if start is None else start.copy()
    penalty = np.full(design.shape[1], L2)
    penalty[-1] = 0.0

    def loss(w: np.ndarray) -> float:
        z = design @ w
        return float(np.logaddexp(0.0, z).sum() - y @ z + 0.5 * penalty @ w**2)

    current = loss(weights)
    for _ in range(50):
        p = _sigmoid(design @ weights)
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-6)
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while size > 1e-4 and loss(weights - size * step) > current:
            size /= 2
        weights = weights - size * step
        current = loss(weights)
        if np.abs(size * step).max() < 1e-6:
            break
    return weights


def p_dog(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    return _sigmoid(x @ weights[:-1] + weights[-1])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class Step:
    """What a strategy sees when it picks: the head and the photos' state."""

    weights: np.ndarray
    pool: np.ndarray
    labels: np.ndarray  # the true labels; a strategy reads only those of `labelled`
    labelled: np.ndarray  # indices into pool, in the order they were labelled
    waiting: np.ndarray  # indices into pool, in arrival order
    rng: np.random.Generator


def oldest(step: Step) -> np.ndarray:
    """The waiting photos in arrival order."""
    return np.zeros(len(step.waiting))


def uncertainty(step: Step) -> np.ndarray:
    """The margin alone: review_value.unsure of the head's answer."""
    return 1.0 - np.abs(2.0 * p_dog(step.weights, step.pool[step.waiting]) - 1.0)


def value(step: Step) -> np.ndarray:
    """review_value.score with its reproducible parts: the margin; the answer of a challenger,
    a head trained on a bootstrap resample of the same labels; the class balance of the labels
    so far. (No person votes here and PetImages holds no non-pet: see the report.)"""
    x, y = step.pool[step.labelled], step.labels[step.labelled]
    resample = step.rng.integers(0, len(x), len(x))
    challenger = fit(x[resample], y[resample])
    waiting = step.pool[step.waiting]
    champion_dog = p_dog(step.weights, waiting) >= 0.5
    challenger_dog = p_dog(challenger, waiting) >= 0.5
    reviewed = {name: int((y == index).sum()) for index, name in enumerate(CLASSES)}
    balance = {name: review_value.balance(name, reviewed) for name in CLASSES}
    parts = {
        "unsure": uncertainty(step),
        "challenger": (champion_dog != challenger_dog).astype(float),
        "balance": np.where(champion_dog, balance["dog"], balance["cat"]),
    }
    return np.asarray(review_value.score(parts))  # arrays add up as floats do


PICKERS: dict[str, Callable[[Step], np.ndarray]] = {
    "oldest": oldest,
    "uncertainty": uncertainty,
    "value": value,
}


def simulate(
    pool: np.ndarray,
    labels: np.ndarray,
    test: np.ndarray,
    test_labels: np.ndarray,
    strategy: str,
    seed: int,
    start: int = 20,
) -> list[tuple[int, float]]:
    """(labels so far, test accuracy) at each step of schedule(): the same arrival order and the
    same `start` labelled photos for every strategy of one seed."""
    rng = np.random.default_rng(seed)
    arrival = rng.permutation(len(pool))
    labelled, waiting = arrival[:start], arrival[start:]
    pick_rng = np.random.default_rng(seed + 1)
    curve, weights = [], None
    for count in schedule(start, len(pool)):
        more = count - len(labelled)
        if more > 0:
            step = Step(weights, pool, labels, labelled, waiting, pick_rng)  # type: ignore[arg-type]
            order = np.argsort(-PICKERS[strategy](step), kind="stable")  # ties: oldest first
            labelled = np.concatenate([labelled, waiting[order[:more]]])
            waiting = np.delete(waiting, order[:more])
        weights = fit(pool[labelled], labels[labelled], weights)
        accuracy = float(((p_dog(weights, test) >= 0.5) == test_labels).mean())
        curve.append((count, accuracy))
    return curve


def labels_to_reach(curve: list[tuple[int, float]], target: float) -> int | None:
    """The fewest labels at which `curve` reaches `target` accuracy, None when it never does."""
    return next((count for count, accuracy in curve if accuracy >= target - 1e-12), None)


def mean_curve(curves: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """The seeds' curves averaged point by point (they share their schedule)."""
    counts = [count for count, _ in curves[0]]
    accuracies = np.mean([[accuracy for _, accuracy in curve] for curve in curves], axis=0)
    return list(zip(counts, accuracies.tolist(), strict=True))
