"""Classify images and record them: the one service behind the page, the JSON API and /v2."""

import logging
from collections.abc import Callable, Sequence

import numpy as np

from catsdogs import state

from catsdogs.store import records

from catsdogs.store import training_photos
from catsdogs.errors import ServiceError
from catsdogs.serving.imaging import ImageError
from catsdogs.serving.classifier import Classifier, Prediction

log = logging.getLogger(__name__)


def classify(
    data: bytes, filename: str | None, consent: bool, training_consent: bool = False
) -> dict:
    """Predict the class of image bytes, store the row (and, with training consent, a small
    copy of the photo), return the API's result dict."""
    if training_consent and not consent:  # refused before the model spends any time on it
        raise ServiceError(
            "training_consent_without_consent",
            "Keeping the photo for training (training_consent) also needs rgpd_consent.",
        )
    model = state.classifier()  # this request's model, even if another is swapped in meanwhile
    prediction = run_model(model, lambda: model.predict(data))
    row_id = store(prediction, data, consent, filename, training_consent)
    result = {
        "id": row_id,
        "prediction": prediction.label,
        "confidence": round(prediction.confidence, 6),
        "unsure": model.card.unsure(prediction.confidence),
        "probabilities": {k: round(v, 6) for k, v in prediction.probabilities.items()},
        "inference_time_ms": round(prediction.total_ms, 3),
        "model_version": prediction.model_version,
        "filename": records.clean_filename(filename) if consent else None,
        # Stored with the row, or spooled with it while the database is down.
        "training_photo_kept": training_consent,
    }
    if consent and row_id is not None:  # only a stored, consented row takes feedback
        result["feedback_id"] = row_id
    return result


def classify_batch(
    images: Sequence[bytes | np.ndarray], model: Classifier | None = None
) -> list[Prediction]:
    """Predict encoded images or resized pixels with `model` (default: the serving one), then
    store each as an anonymous row.

    The whole batch is predicted before anything is stored: one bad image stores none.
    """
    model = model or state.classifier()
    predictions = []
    for index, image in enumerate(images):
        try:
            predictions.append(run_model(model, lambda image=image: _predict(model, image)))
        except ImageError as error:
            raise ServiceError("invalid_image", f"Image {index}: {error.message}") from None
    for prediction, image in zip(predictions, images, strict=True):
        store(prediction, image)
    return predictions


def _predict(model: Classifier, image: bytes | np.ndarray) -> Prediction:
    return model.predict(image) if isinstance(image, bytes) else model.predict_resized(image)


def run_model(model: Classifier, predict: Callable[[], Prediction]) -> Prediction:
    """Call `predict`; any failure but the image's is model_unavailable."""
    try:
        return predict()
    except ImageError:
        raise  # the upload's fault, reported as it is; anything else is the model's
    except Exception:
        log.exception("the model failed on an upload")
        state.telemetry().record_failed_prediction(model.version)
        raise ServiceError(
            "model_unavailable", "The model is unavailable right now; try again later."
        ) from None


def store(
    prediction: Prediction,
    image: bytes | np.ndarray,
    consent: bool = False,
    filename: str | None = None,
    training_consent: bool = False,
) -> int | None:
    """Count the prediction, store its row (with a small copy of the photo when the person
    allowed it for training: `training_consent` needs `consent`), and offer the photo to shadow
    traffic; return the row id (None when spooled). Batches and /v2 never keep photos."""
    size = len(image) if isinstance(image, bytes) else image.nbytes
    state.telemetry().record_prediction(prediction, size)
    state.model_health().observe(prediction)
    # Only with that consent is the photo decoded a second time and re-encoded.
    photo = training_photos.downscale(image) if training_consent and consent else None
    row_id = records.save_prediction(prediction, consent, filename, photo)
    if row_id is not None and isinstance(image, bytes):
        state.shadow().offer(row_id, image, prediction)
    return row_id
