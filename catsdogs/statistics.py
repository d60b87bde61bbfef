"""Aggregate figures over the stored predictions."""

from sqlalchemy import case, func, select

from catsdogs.extensions import db
from catsdogs.models import Prediction


def summary() -> dict:
    """Totals, classes, consent, feedback, satisfaction and inference time figures."""
    def count_where(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(select(
        func.count(Prediction.id),
        count_where(Prediction.prediction_result == "cat"),
        count_where(Prediction.prediction_result == "dog"),
        count_where(Prediction.prediction_result == "error"),
        count_where(Prediction.rgpd_consent.is_(True)),
        count_where(Prediction.user_feedback == 1),
        count_where(Prediction.user_feedback == 0),
        func.avg(Prediction.inference_time_ms),
    )).one()
    total, cats, dogs, errors, consents, positive, negative, mean_ms = row
    rated = positive + negative
    return {
        "total_predictions": total,
        "predictions_by_class": {"cat": cats, "dog": dogs, "error": errors},
        "consents": consents,
        "consent_rate": round(consents / total, 4) if total else None,
        "feedback": {"positive": positive, "negative": negative, "total": rated},
        "satisfaction_rate": round(positive / rated, 4) if rated else None,
        "inference_time_ms": {"mean": round(float(mean_ms), 3) if mean_ms is not None else None,
                              "p95": _p95_inference_ms(total)},
    }


def _p95_inference_ms(total: int) -> float | None:
    if not total:
        return None
    rank = int(0.95 * (total - 1))
    value = db.session.scalar(select(Prediction.inference_time_ms)
                              .order_by(Prediction.inference_time_ms).offset(rank).limit(1))
    return round(value, 3)
