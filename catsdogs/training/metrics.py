"""Classification figures for the model card, from labels and P(dog) alone (numpy only)."""

from collections.abc import Sequence

import numpy as np

from catsdogs.card import CLASSES

# A confidence bin right at least this often on validation photos counts as sure.
SURE_ACCURACY = 0.9
# The confidences the model card's "not sure" table is drawn at.
RISK_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def evaluate(
    labels: Sequence[int] | np.ndarray,
    p_dog: Sequence[float] | np.ndarray,
    files: Sequence[str],
    threshold: float = 0.5,
    bins: int = 10,
    worst: int = 10,
) -> dict:
    """Accuracy, per-class precision/recall, confusion, ROC AUC, calibration, worst mistakes."""
    y = np.asarray(labels, dtype=int)
    p = np.asarray(p_dog, dtype=np.float64)
    predicted = (p >= threshold).astype(int)
    confusion = [[int(np.sum((y == t) & (predicted == q))) for q in (0, 1)] for t in (0, 1)]
    per_class = {}
    for index, name in enumerate(CLASSES):
        hits = confusion[index][index]
        column = confusion[0][index] + confusion[1][index]
        per_class[name] = {
            "precision": round(hits / column, 5) if column else 0.0,
            "recall": round(hits / sum(confusion[index]), 5) if sum(confusion[index]) else 0.0,
            "support": int(sum(confusion[index])),
        }
    ece, table = calibration(y, p, predicted, bins)
    return {
        "images": int(len(y)),
        "accuracy": round(float(np.mean(predicted == y)), 5),
        "per_class": per_class,
        "confusion_matrix": {"rows_true_columns_predicted": list(CLASSES), "counts": confusion},
        "roc_auc": round(roc_auc(y, p), 5),
        "expected_calibration_error": round(ece, 5),
        "reliability": table,
        "risk_coverage": risk_coverage(y, p, threshold),
        "worst_mistakes": worst_mistakes(y, p, predicted, files, worst),
    }


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the probability a dog scores above a cat (ties count half)."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        ranks[order[start : start + count]] = start + (count + 1) / 2
    positives = int(np.sum(y == 1))
    negatives = len(y) - positives
    if not positives or not negatives:
        return float("nan")
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def calibration(
    y: np.ndarray, p: np.ndarray, predicted: np.ndarray, bins: int
) -> tuple[float, list[dict]]:
    """Expected calibration error over confidence bins, and the reliability table."""
    confidence = np.where(predicted == 1, p, 1 - p)
    correct = predicted == y
    edges = np.linspace(0.5, 1.0, bins + 1)
    table, ece = [], 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence >= low) & ((confidence < high) | (high == 1.0))
        count = int(inside.sum())
        if not count:
            continue
        mean_confidence = float(confidence[inside].mean())
        accuracy = float(correct[inside].mean())
        ece += count / len(y) * abs(mean_confidence - accuracy)
        table.append(
            {
                "bin": [round(low, 3), round(high, 3)],
                "count": count,
                "mean_confidence": round(mean_confidence, 5),
                "accuracy": round(accuracy, 5),
            }
        )
    return ece, table


def risk_coverage(
    y: np.ndarray, p: np.ndarray, threshold: float = 0.5, at: Sequence[float] = RISK_THRESHOLDS
) -> list[dict]:
    """For each confidence in `at`: the share of photos answered when those below it are "not
    sure", and the share of those answers that are wrong."""
    predicted = (p >= threshold).astype(int)
    confidence = np.where(predicted == 1, p, 1 - p)
    rows = []
    for lowest in at:
        answered = confidence >= lowest
        errors = int(np.sum(answered & (predicted != y)))
        rows.append(
            {
                "confidence_at_least": lowest,
                "answered": int(answered.sum()),
                "coverage": round(float(answered.mean()), 5),
                "errors": errors,
                "error_rate": round(errors / int(answered.sum()), 5) if answered.any() else None,
            }
        )
    return rows


def unsure_below(reliability: list[dict], accuracy: float = SURE_ACCURACY) -> float:
    """The lowest confidence from which every reliability bin is right at least `accuracy`."""
    lowest = 1.0
    for row in sorted(reliability, key=lambda row: row["bin"][0], reverse=True):
        if row["accuracy"] < accuracy:
            break
        lowest = row["bin"][0]
    return lowest


def worst_mistakes(
    y: np.ndarray, p: np.ndarray, predicted: np.ndarray, files: Sequence[str], limit: int
) -> list[dict]:
    """The wrong answers given with the highest confidence, by file."""
    wrong = np.flatnonzero(predicted != y)
    confidence = np.where(predicted == 1, p, 1 - p)
    ranked = wrong[np.argsort(-confidence[wrong], kind="mergesort")][:limit]
    return [
        {
            "file": files[i],
            "true": CLASSES[y[i]],
            "predicted": CLASSES[predicted[i]],
            "confidence": round(float(confidence[i]), 5),
        }
        for i in ranked
    ]
