"""Classify an upload and record it: the one service behind the page and the JSON API."""

import logging

from flask import current_app

from catsdogs import records
from catsdogs.errors import ServiceError
from catsdogs.imaging import ImageError

log = logging.getLogger(__name__)
IMAGE_ERROR_STATUS = {"empty_file": 400, "not_an_image": 415, "image_too_large": 413}


def classify(data: bytes, filename: str | None, consent: bool) -> dict:
    """Predict the class of image bytes, store the row, return the API's result dict."""
    app = current_app
    telemetry = app.extensions["catsdogs.telemetry"]
    classifier = app.extensions["catsdogs.classifier"]
    try:
        prediction = classifier.predict(data)
    except ImageError as error:
        raise ServiceError(IMAGE_ERROR_STATUS[error.code], error.code, error.message) from None
    except Exception:
        log.exception("the model failed on an upload")
        telemetry.record_failed_prediction()
        raise ServiceError(
            503, "model_unavailable", "The model is unavailable right now; try again later."
        ) from None
    telemetry.record_prediction(prediction, len(data))
    kept_name = records.clean_filename(filename) if consent else None
    row_id = records.save_prediction(
        prediction,
        classifier.version,
        consent,
        kept_name,
        app.extensions["catsdogs.spool"],
        telemetry,
    )
    return {
        "id": row_id,
        "feedback_id": row_id,
        "prediction": prediction.label,
        "confidence": round(prediction.confidence, 6),
        "probabilities": {k: round(v, 6) for k, v in prediction.probabilities.items()},
        "inference_time_ms": round(prediction.total_ms, 3),
        "model_version": classifier.version,
        "filename": kept_name,
    }
