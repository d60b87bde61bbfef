"""Aggregate figures over the stored predictions."""

import datetime
import itertools

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from catsdogs.extensions import db
from catsdogs.store.tables import Prediction


def summary() -> dict:
    """Totals, classes, consent, feedback, satisfaction and inference time figures."""

    def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(Prediction.id),
            count_where(answered("cat")),
            count_where(answered("dog")),
            count_where(Prediction.neither.is_(True)),
            count_where(Prediction.prediction_result == "error"),
            count_where(Prediction.rgpd_consent.is_(True)),
            count_where(Prediction.user_feedback == 1),
            count_where(Prediction.user_feedback == 0),
            func.avg(Prediction.inference_time_ms),
        )
    ).one()
    total, cats, dogs, neither, errors, consents, positive, negative, mean_ms = row
    rated = positive + negative
    return {
        "total_predictions": total,
        "predictions_by_class": {"cat": cats, "dog": dogs, "neither": neither, "error": errors},
        "consents": consents,
        "consent_rate": round(consents / total, 4) if total else None,
        "feedback": {"positive": positive, "negative": negative, "total": rated},
        "satisfaction_rate": round(positive / rated, 4) if rated else None,
        "inference_time_ms": {
            "mean": round(float(mean_ms), 3) if mean_ms is not None else None,
            "p95": _p95_inference_ms(total),
        },
    }


def answered(label: str) -> ColumnElement[bool]:
    """The rows whose answer was `label`: the class, not "not a cat or a dog"."""
    return (Prediction.prediction_result == label) & Prediction.neither.is_(False)


def _p95_inference_ms(total: int) -> float | None:
    value = percentile(Prediction.inference_time_ms, 0.95, total) if total else None
    return round(value, 3) if value is not None else None


def percentile(column: InstrumentedAttribute[float], fraction: float, count: int) -> float | None:
    """The `fraction` quantile of `column` over `count` rows, interpolated between closest ranks.

    The definition of numpy's default and PostgreSQL's percentile_cont, computed here because
    SQLite has neither: one query reads the two neighbouring values, never the whole column.
    """
    rank = fraction * (count - 1)
    below = int(rank)
    values = db.session.scalars(select(column).order_by(column).offset(below).limit(2)).all()
    if not values:  # rows erased since they were counted
        return None
    upper = values[1] if len(values) > 1 else values[0]
    return values[0] + (upper - values[0]) * (rank - below)


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
    counts = db.session.execute(select(*columns)).one()
    return {
        "bins": [f"{low:.2f}-{high:.2f}" for low, high in edges],
        "counts": [int(count) for count in counts],
    }


def timeline(now: datetime.datetime, hours: int = 24) -> dict:
    """Predictions by class, mean inference time and feedback per hour over the last hours."""
    start = now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=hours - 1)
    slots = [start + datetime.timedelta(hours=i) for i in range(hours + 1)]
    hourly = list(itertools.pairwise(slots))
    # Summed in the database, one column per hour: the page polls this every 10 seconds.
    created, result = Prediction.created_at, Prediction.prediction_result
    predictions = _per_hour(
        created,
        hourly,
        {
            "cat": (answered("cat"), 1),
            "dog": (answered("dog"), 1),
            "neither": (Prediction.neither.is_(True), 1),
            "time": (result.in_(("cat", "dog")), Prediction.inference_time_ms),
        },
    )
    votes = _per_hour(
        Prediction.feedback_at,
        hourly,
        {
            "positive": (Prediction.user_feedback == 1, 1),
            "negative": (Prediction.user_feedback == 0, 1),
        },
    )
    answers = zip(predictions["cat"], predictions["dog"], predictions["neither"], strict=True)
    counts = [sum(hour) for hour in answers]
    return {
        "labels": [slot.strftime("%H:00") for slot in slots[:-1]],
        "cat": [int(n) for n in predictions["cat"]],
        "dog": [int(n) for n in predictions["dog"]],
        "neither": [int(n) for n in predictions["neither"]],
        "positive": [int(n) for n in votes["positive"]],
        "negative": [int(n) for n in votes["negative"]],
        "mean_inference_ms": [
            round(float(total) / count, 2) if count else None
            for total, count in zip(predictions["time"], counts, strict=True)
        ],
    }


def _per_hour(
    moment: InstrumentedAttribute[datetime.datetime | None],
    hourly: list[tuple[datetime.datetime, datetime.datetime]],
    series: dict[str, tuple[ColumnElement[bool], object]],
) -> dict[str, list]:
    """Sum each series' value over rows whose `moment` falls in each hour, in one query."""
    columns = [
        func.coalesce(
            func.sum(case(((moment >= low) & (moment < high) & condition, value), else_=0)), 0
        )
        for condition, value in series.values()
        for low, high in hourly
    ]
    row = db.session.execute(
        select(*columns).where(moment >= hourly[0][0], moment < hourly[-1][1])
    ).one()
    width = len(hourly)
    return {name: list(row[i * width : (i + 1) * width]) for i, name in enumerate(series)}


def shadow_comparison() -> list[dict]:
    """Champion against challenger on the photos both classified, per pair of versions."""
    agree = func.sum(case((Prediction.prediction_result == Prediction.shadow_result, 1), else_=0))
    rows = db.session.execute(
        select(
            Prediction.model_version,
            Prediction.shadow_model_version,
            func.count(Prediction.id),
            agree,
            func.avg(Prediction.inference_time_ms),
            func.avg(Prediction.shadow_time_ms),
        )
        .where(Prediction.shadow_result.is_not(None))
        .group_by(Prediction.model_version, Prediction.shadow_model_version)
        .order_by(func.max(Prediction.id).desc())
    ).all()
    return [
        {
            "champion": champion,
            "challenger": challenger,
            "photos": count,
            "agreement": round(agreed / count, 4),
            "champion_ms": round(float(champion_ms), 3),
            "challenger_ms": round(float(challenger_ms), 3),
        }
        for champion, challenger, count, agreed, champion_ms, challenger_ms in rows
    ]
