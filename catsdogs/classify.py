"""Classify an upload and record it: the one service behind the page and the JSON API."""

import logging

from catsdogs import records, state
from catsdogs.errors import ServiceError
from catsdogs.imaging import ImageError

log = logging.getLogger(__name__)


def classify(data: bytes, filename: str | None, consent: bool) -> dict:
    """Predict the class of image bytes, store the row, return the API's result dict."""
    telemetry = state.telemetry()
    try:
        prediction = state.classifier().predict(data)
    except ImageError:
        raise  # the upload's fault, reported as it is; anything else is the model's
    except Exception:
        log.exception("the model failed on an upload")
        telemetry.record_failed_prediction()
        raise ServiceError(
            "model_unavailable", "The model is unavailable right now; try again later."
        ) from None
    telemetry.record_prediction(prediction, len(data))
    row_id = records.save_prediction(prediction, consent, filename)
    return {
        "id": row_id,
        "feedback_id": row_id,
        "prediction": prediction.label,
        "confidence": round(prediction.confidence, 6),
        "unsure": state.classifier().card.unsure(prediction.confidence),
        "probabilities": {k: round(v, 6) for k, v in prediction.probabilities.items()},
        "inference_time_ms": round(prediction.total_ms, 3),
        "model_version": prediction.model_version,
        "filename": records.clean_filename(filename) if consent else None,
    }
