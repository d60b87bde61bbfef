"""Classification.classify(): the one service behind the page and the API, its result and its
failures."""

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from catsdogs import serving
from catsdogs.errors import ServiceError
from catsdogs.extensions import db
from catsdogs.serving.imaging import ImageError, decode_photo
from catsdogs.serving.classifier import Answer
from catsdogs.store.tables import Prediction
from tests.helpers import BrokenClassifier, image_bytes, serve_model


class FixedClassifier:
    """A model that always answers dog, from a version other than the app's."""

    model_version = "app-version"
    card = BrokenClassifier.card  # the shipped card: unsure below 0.8

    def predict_photo(self, data):
        photo = decode_photo(data, self.card.input_size)
        return Answer("dog", {"cat": 0.25, "dog": 0.75}, "prediction-version", 1, 2, 3), photo


def failed_predictions(app) -> float:
    """cv_predictions_total{result="error"} of every model version, as /metrics shows it."""
    families = text_string_to_metric_families(app.test_client().get("/metrics").text)
    return sum(
        s.value
        for f in families
        for s in f.samples
        if s.name == "cv_predictions_total" and s.labels["result"] == "error"
    )


def test_the_result_is_the_api_dict_with_the_predictions_model_version(app):
    serve_model(app, FixedClassifier())
    with app.app_context():
        service = serving.parts(app).classification
        result = service.classify(image_bytes(), "holiday/photo.png", consent=True)
        row = db.session.get(Prediction, result["id"])
        assert row.model_version == "prediction-version" and row.filename == "photo.png"
    assert result == {
        "id": row.id,
        "feedback_id": row.id,
        "prediction": "dog",
        "confidence": 0.75,
        "unsure": True,
        "probabilities": {"cat": 0.25, "dog": 0.75},
        "neither": False,  # a model without the detector never says so
        "neither_score": None,
        "inference_time_ms": 6.0,
        "model_version": "prediction-version",
        "filename": "photo.png",
        "training_photo_kept": False,
    }


def test_without_consent_the_result_names_no_file(app):
    with app.app_context():
        service = serving.parts(app).classification
        result = service.classify(image_bytes(), "photo.png", consent=False)
    assert result["filename"] is None and result["id"] is not None
    assert "feedback_id" not in result  # nothing can be said about it later
    assert result["model_version"] == serving.parts(app).classifier.model_version


def test_an_image_error_passes_through_and_is_not_a_model_failure(app):
    with app.app_context(), pytest.raises(ImageError) as raised:
        serving.parts(app).classification.classify(b"", "empty.png", consent=True)
    assert raised.value.code == "empty_file"
    assert failed_predictions(app) == 0


def test_a_model_failure_is_model_unavailable_and_counted(app):
    serve_model(app, BrokenClassifier())
    with app.app_context(), pytest.raises(ServiceError) as raised:
        serving.parts(app).classification.classify(image_bytes(), "photo.png", consent=True)
    assert raised.value.code == "model_unavailable"
    assert "session lost" not in raised.value.message
    assert failed_predictions(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Prediction.id))) == 0
