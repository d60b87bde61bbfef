"""Classify images and record them: the one service behind the page, the JSON API and /v2."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from catsdogs.errors import ServiceError, lookup
from catsdogs.serving.explain import NO_MAP, explanation
from catsdogs.serving.classifier import Classifier, Answer
from catsdogs.serving.imaging import ImageError, Photo
from catsdogs.store import records, training_photos

if TYPE_CHECKING:  # annotations only
    from catsdogs.monitoring.canary import CanaryRecorder
    from catsdogs.monitoring.metrics import Telemetry
    from catsdogs.monitoring.model_health import ModelHealth
    from catsdogs.serving.served_models import Serving
    from catsdogs.serving.shadow import ShadowWorker
    from catsdogs.store.photo_intake import PhotoIntake
    from catsdogs.store.records import Writer

log = logging.getLogger(__name__)
T = TypeVar("T")


class Classification:
    """Predict with the model that answers the client (the champion, or the canary for the
    clients it routes), count, store the row, offer the photo to the other model off the
    request path: the challenger shadows the champion, the champion checks the canary.

    Built once per app by serving's `init_app`, with every collaborator it uses.
    """

    def __init__(
        self,
        models: Serving,
        writer: Writer,
        telemetry: Telemetry,
        model_health: ModelHealth,
        shadow: ShadowWorker,
        intake: PhotoIntake,
        canary: CanaryRecorder,
        reverse: ShadowWorker,
    ):
        self.models, self.writer, self.telemetry = models, writer, telemetry
        self.model_health, self.shadow, self.intake = model_health, shadow, intake
        self.canary, self.reverse = canary, reverse

    def route(self, client: str) -> tuple[Classifier, str]:
        """The model that answers `client` (an API token's or an address's name) and its role,
        "champion" or "canary": hold on to it for the whole request."""
        models = self.models
        challenger = models.challenger  # read once: the poller may swap it meanwhile
        if challenger is not None and models.canary.routes(client, challenger):
            return challenger.classifier, "canary"
        return models.champion.classifier, "champion"

    def classify(
        self,
        data: bytes,
        filename: str | None,
        consent: bool,
        training_consent: bool = False,
        client: str = "",
        explain: bool = False,
    ) -> dict:
        """Predict the class of image bytes, store the row (and, with training consent, a small
        copy of the photo if `intake` admits it for `client`: an address or a token), return
        the API's result dict; with `explain`, where the model saw its class too."""
        if training_consent and not consent:  # refused before the model spends any time on it
            raise ServiceError(
                "training_consent_without_consent",
                "Keeping the photo for training (training_consent) also needs rgpd_consent.",
            )
        # This request's model, even if another is swapped in meanwhile.
        model, role = self.route(client)
        # Decoded once: the kept copy and the challenger start from the same pixels.
        prediction, photo = self.run_model(model, lambda: model.predict_photo(data), role)
        kept, refused = None, None
        if training_consent:
            kept = training_photos.keep(photo.image)
            refused = self.intake.refusal(kept, client)
            kept = None if refused else kept
        row_id = self.store(prediction, len(data), photo, consent, filename, kept, role)
        result = {
            "id": row_id,
            "prediction": prediction.label,
            "confidence": round(prediction.confidence, 6),
            "unsure": model.card.unsure(prediction.confidence),
            "probabilities": {k: round(v, 6) for k, v in prediction.probabilities.items()},
            # The photo shows neither class: `prediction` stays the nearer of the two.
            "neither": prediction.neither,
            "neither_score": _rounded(prediction.neither_score),
            "inference_time_ms": round(prediction.total_ms, 3),
            "model_version": prediction.model_version,
            "filename": records.clean_filename(filename) if consent else None,
            # Stored with the row, or spooled with it while the database is down.
            "training_photo_kept": kept is not None,
        }
        if refused:  # consent given, photo not kept: say why (docs/privacy.md)
            result["training_photo_refused"] = refused
        if consent and row_id is not None:  # only a stored, consented row takes feedback
            result["feedback_id"] = row_id
        if explain:  # from the pixels the model read, already resized for it
            pixels = photo.pixels(model.card.input_size, model.card.resize_method)
            result["explanation"] = explanation(prediction, pixels)
            if result["explanation"] is None:
                result["explanation_unavailable"] = NO_MAP
        return result

    def classify_batch(
        self,
        images: Sequence[bytes] | np.ndarray,
        model: Classifier | None = None,
        role: str = "champion",
    ) -> list[Answer]:
        """Predict encoded images or resized pixels with `model` (default: the serving one),
        which plays `role`, then store each as an anonymous row.

        The whole batch is predicted before anything is stored: one bad image stores none.
        """
        model = model or self.models.champion.classifier
        answers = []
        for index, image in enumerate(images):
            try:
                answers.append(self.run_model(model, partial(_predict, model, image), role))
            except ImageError as error:
                if lookup(error.code).status == 413:  # too large stays 413: send smaller ones
                    error.message = f"Image {index}: {error.message}"
                    raise
                raise ServiceError("invalid_image", f"Image {index}: {error.message}") from None
        for (prediction, photo), image in zip(answers, images, strict=True):
            size = len(image) if isinstance(image, bytes) else image.nbytes
            self.store(prediction, size, photo, role=role)
        return [prediction for prediction, _ in answers]

    def run_model(self, model: Classifier, predict: Callable[[], T], role: str = "champion") -> T:
        """Call `predict`; any failure but the image's is model_unavailable."""
        try:
            return predict()
        except ImageError:
            raise  # the upload's fault, reported as it is; anything else is the model's
        except Exception:
            log.exception("the model failed on an upload")
            self.telemetry.record_failed_prediction(model.model_version)
            if role == "canary" or self.models.canary.active(self.models.challenger):
                self.canary.failed(role)
            raise ServiceError(
                "model_unavailable", "The model is unavailable right now; try again later."
            ) from None

    def store(
        self,
        prediction: Answer,
        size: int,
        photo: Photo | None = None,
        consent: bool = False,
        filename: str | None = None,
        kept: training_photos.KeptPhoto | None = None,
        role: str = "champion",
    ) -> int | None:
        """Count the prediction of an upload of `size` bytes, store its row (with `kept`, the
        small copy admitted for training), and offer the decoded `photo` to shadow traffic (a
        canary's to the champion); return the row id (None when spooled). Batches and /v2
        never keep photos."""
        self.telemetry.record_prediction(prediction, size)
        self.model_health.observe(prediction)
        row_id = self.writer.save_prediction(prediction, consent, filename, kept)
        if role == "canary" or self.models.canary.active(self.models.challenger):
            card = prediction.card
            unsure = card is not None and card.unsure(prediction.confidence)
            self.canary.answered(role, prediction.total_ms / 1000, unsure)
        if photo is not None and role == "canary":
            self.reverse.offer(row_id or 0, photo, prediction)
        elif row_id is not None and photo is not None:
            self.shadow.offer(row_id, photo, prediction)
        return row_id


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 3)


def _predict(model: Classifier, image: bytes | np.ndarray) -> tuple[Answer, Photo | None]:
    """The answer, and the decoded photo reduced to the model's pixels (a batch holds 16)."""
    if not isinstance(image, bytes):
        return model.predict_resized(image), None
    answer, photo = model.predict_photo(image)
    return answer, photo.compact(model.card.input_size, model.card.resize_method)
