"""Out-of-distribution scores on the model's pooled features, and how to judge them (numpy).

Every score is "higher means less like the training photos". The pets of the card's train split
fit a detector, its validation pets set the threshold, the non-pet calibration part compares
detectors, and the test parts (pets and non-pets) only report.
"""

import numpy as np

from catsdogs.training import metrics
from catsdogs.training.trust.graph import Mahalanobis

# The share of validation pets the threshold may refuse. The limit is 1% of pets never seen;
# estimated from 2,400 validation pets, a 1% share has a standard error of 0.2 point, so the
# threshold aims one standard error below it.
REFUSED_PETS = 0.008


def ledoit_wolf(centred: np.ndarray) -> tuple[np.ndarray, float]:
    """The covariance of `centred` rows shrunk towards a scaled identity, and the shrinkage
    (Ledoit and Wolf, 2004): 2,560 features from a few thousand photos need it to invert."""
    n, p = centred.shape
    x = centred.astype(np.float64)
    sample = x.T @ x / n
    scale = np.trace(sample) / p
    target_distance = np.sum((sample - scale * np.eye(p)) ** 2) / p
    spread = (np.sum(np.sum(x**2, axis=1) ** 2) / n - np.sum(sample**2)) / (n * p)
    shrinkage = float(min(spread, target_distance) / target_distance)
    return (1 - shrinkage) * sample + shrinkage * scale * np.eye(p), shrinkage


def fit_mahalanobis(
    features: np.ndarray,
    labels: np.ndarray,
    components: int | None = None,
    unit_length: bool = False,
) -> tuple[Mahalanobis, float]:
    """Class means and one shared covariance (Ledoit-Wolf), as the graph's projection; with
    `components`, only the largest directions, the others sharing their mean variance. Also
    returns the shrinkage."""
    x = unit(features) if unit_length else features
    labels = np.asarray(labels)
    classes = np.unique(labels)
    means = np.stack([x[labels == c].mean(axis=0) for c in classes]).astype(np.float64)
    covariance, shrinkage = ledoit_wolf(x - means[np.searchsorted(classes, labels)])
    values, vectors = np.linalg.eigh(covariance)  # ascending: the largest come last
    if not components:
        return Mahalanobis(means, vectors / np.sqrt(values), 0.0, unit_length), shrinkage
    kept, rest = values[-components:], float(values[:-components].mean())
    # |d|^2 / rest counts every direction at the rest's variance; taking |d @ projection|^2
    # off brings the kept ones to 1 / value each (values above rest: the root is real).
    projection = vectors[:, -components:] * np.sqrt(1 / rest - 1 / kept)
    return Mahalanobis(means, projection, 1 / rest, unit_length), shrinkage


def mahalanobis(detector: Mahalanobis, features: np.ndarray) -> np.ndarray:
    """The squared distance to the nearest class mean, as the graph computes it."""
    x = unit(features) if detector.unit else features
    scores = []
    for start in range(0, len(x), 1024):
        difference = x[start : start + 1024].astype(np.float64)[:, None, :] - detector.means
        distances = ((difference @ detector.projection) ** 2).sum(axis=2)
        if detector.residual:
            distances = detector.residual * (difference**2).sum(axis=2) - distances
        scores.append(distances.min(axis=1))
    return np.concatenate(scores)


def unit(features: np.ndarray) -> np.ndarray:
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def knn(bank: np.ndarray, features: np.ndarray, k: int = 10, batch: int = 512) -> np.ndarray:
    """The cosine distance to the k-th nearest photo of `bank` (Sun et al., 2022)."""
    bank = unit(bank).astype(np.float32)
    scores = []
    for start in range(0, len(features), batch):
        similarity = unit(features[start : start + batch]).astype(np.float32) @ bank.T
        scores.append(1 - np.sort(similarity, axis=1)[:, -k])
    return np.concatenate(scores)


def max_logit(head_logits: np.ndarray) -> np.ndarray:
    """Minus the averaged logit's size: with one sigmoid logit z, the logits (-z/2, z/2) have a
    maximum of |z|/2 and an energy that falls with |z|, so both rank photos by |z|."""
    return -np.abs(head_logits.mean(axis=1))


def auroc(pets: np.ndarray, others: np.ndarray) -> float:
    """How often a non-pet image scores above a pet photo (ties count half)."""
    y = np.concatenate([np.zeros(len(pets), int), np.ones(len(others), int)])
    return metrics.roc_auc(y, np.concatenate([pets, others]))


def threshold_for(pets: np.ndarray, refused: float = REFUSED_PETS) -> float:
    """The lowest score that refuses at most `refused` of these pet photos (score > it)."""
    ordered = np.sort(pets)
    return float(ordered[int(np.ceil(len(ordered) * (1 - refused))) - 1])


def refused(scores: np.ndarray, threshold: float) -> float:
    """The share of images answered "not a cat or a dog" at `threshold`."""
    return float(np.mean(scores > threshold)) if len(scores) else float("nan")
