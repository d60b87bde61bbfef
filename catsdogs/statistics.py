"""Aggregate figures over the stored predictions."""

import datetime
import itertools

from sqlalchemy import case, func, select

from catsdogs.extensions import db
from catsdogs.models import Prediction


def summary() -> dict:
    """Totals, classes, consent, feedback, satisfaction and inference time figures."""

    def count_where(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(Prediction.id),
            count_where(Prediction.prediction_result == "cat"),
            count_where(Prediction.prediction_result == "dog"),
            count_where(Prediction.prediction_result == "error"),
            count_where(Prediction.rgpd_consent.is_(True)),
            count_where(Prediction.user_feedback == 1),
            count_where(Prediction.user_feedback == 0),
            func.avg(Prediction.inference_time_ms),
        )
    ).one()
    total, cats, dogs, errors, consents, positive, negative, mean_ms = row
    rated = positive + negative
    return {
        "total_predictions": total,
        "predictions_by_class": {"cat": cats, "dog": dogs, "error": errors},
        "consents": consents,
        "consent_rate": round(consents / total, 4) if total else None,
        "feedback": {"positive": positive, "negative": negative, "total": rated},
        "satisfaction_rate": round(positive / rated, 4) if rated else None,
        "inference_time_ms": {
            "mean": round(float(mean_ms), 3) if mean_ms is not None else None,
            "p95": _p95_inference_ms(total),
        },
    }


def _p95_inference_ms(total: int) -> float | None:
    if not total:
        return None
    rank = int(0.95 * (total - 1))
    value = db.session.scalar(
        select(Prediction.inference_time_ms)
        .order_by(Prediction.inference_time_ms)
        .offset(rank)
        .limit(1)
    )
    return round(value, 3)


CONFIDENCE_BINS = tuple(round(0.5 + 0.05 * i, 2) for i in range(11))  # 0.50, 0.55 ... 1.00


def confidence_histogram() -> dict:
    """How many predictions fall in each 0.05-wide confidence bin, from 0.5 to 1."""
    confidence = case(
        (Prediction.proba_cat >= Prediction.proba_dog, Prediction.proba_cat),
        else_=Prediction.proba_dog,
    )
    edges = list(itertools.pairwise(CONFIDENCE_BINS))
    columns = [
        func.coalesce(
            func.sum(
                case(
                    (
                        (confidence >= low)
                        & ((confidence <= high) if high == 1 else (confidence < high)),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        )
        for low, high in edges
    ]
    counts = db.session.execute(select(*columns).where(Prediction.success.is_(True))).one()
    return {
        "bins": [f"{low:.2f}-{high:.2f}" for low, high in edges],
        "counts": [int(count) for count in counts],
    }


def timeline(now: datetime.datetime, hours: int = 24) -> dict:
    """Predictions by class, mean inference time and feedback per hour over the last hours."""
    start = now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=hours - 1)
    slots = [start + datetime.timedelta(hours=i) for i in range(hours)]
    series = {
        "cat": [0] * hours,
        "dog": [0] * hours,
        "positive": [0] * hours,
        "negative": [0] * hours,
    }
    time_sums = [0.0] * hours
    rows = db.session.execute(
        select(
            Prediction.created_at, Prediction.prediction_result, Prediction.inference_time_ms
        ).where(Prediction.created_at >= start)
    )
    for created_at, result, inference_ms in rows:
        slot = _slot(created_at, start, hours)
        if slot is not None and result in ("cat", "dog"):
            series[result][slot] += 1
            time_sums[slot] += inference_ms
    votes = db.session.execute(
        select(Prediction.feedback_at, Prediction.user_feedback).where(
            Prediction.feedback_at >= start
        )
    )
    for feedback_at, vote in votes:
        slot = _slot(feedback_at, start, hours)
        if slot is not None:
            series["positive" if vote else "negative"][slot] += 1
    counts = [cat + dog for cat, dog in zip(series["cat"], series["dog"], strict=False)]
    return {
        "labels": [slot.strftime("%H:00") for slot in slots],
        **series,
        "mean_inference_ms": [
            round(total / count, 2) if count else None
            for total, count in zip(time_sums, counts, strict=False)
        ],
    }


def _slot(moment: datetime.datetime, start: datetime.datetime, hours: int) -> int | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    index = int((moment - start).total_seconds() // 3600)
    return index if 0 <= index < hours else None
