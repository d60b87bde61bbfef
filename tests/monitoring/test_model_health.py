"""Model health in the app: signals per model version, drift gauges, estimated and feedback
accuracy, each judged against the card of the model that answered."""

import io
import json
import shutil

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from catsdogs import monitoring, serving

from catsdogs.monitoring import model_health, signals
from catsdogs.card import SHIPPED_MODEL, ModelCard, profile_problem
from catsdogs.serving.classifier import Classifier
from tests.helpers import ApiClient, image_bytes
from tests.monitoring import detector


def samples(client) -> dict[tuple, float]:
    """{(name, sorted labels): value} of /metrics."""
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def gauge(found, name, **labels) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def predict(api, photo: bytes, consent: bool = False):
    answer = api.post(
        "/api/predict",
        data={"file": (io.BytesIO(photo), "a.jpg"), "rgpd_consent": str(consent).lower()},
    )
    assert answer.status_code == 200, answer.json
    return answer.json


def other_model(tmp_path, version: str, change=lambda card: None) -> Classifier:
    """The shipped model under another version and card, as a hot swap would serve it."""
    model = tmp_path / f"{version}.onnx"
    shutil.copy(SHIPPED_MODEL, model)
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    card["version"] = version
    change(card)
    model.with_suffix(".json").write_text(json.dumps(card))
    return Classifier(ModelCard.for_model(model))


def test_the_served_version_is_exported_before_any_prediction(app):
    found = samples(app.test_client())
    version = serving.parts(app).classifier.model_version
    assert gauge(found, "cv_health_window_predictions", version=version) == 0
    assert gauge(found, "cv_health_window_full", version=version) == 0
    assert gauge(found, "cv_health_window_size") == 1000
    assert gauge(found, "cv_health_card_accuracy", version=version) == 0.985
    assert gauge(found, "cv_health_format_total", version=version, value="PNG") == 0


def test_a_full_window_of_one_class_drifts_on_class_only(make_app, cat_photo):
    app = make_app(MODEL_HEALTH_WINDOW=3, RATELIMIT_ENABLED=False)
    app.test_client_class = ApiClient
    api = app.test_client()
    for _ in range(4):
        predict(api, cat_photo)
    found = samples(api)
    version = serving.parts(app).classifier.model_version
    assert gauge(found, "cv_health_window_predictions", version=version) == 3
    assert gauge(found, "cv_health_window_full", version=version) == 1
    assert gauge(found, "cv_health_drift_psi", version=version, signal="class") > 0.25
    assert gauge(found, "cv_health_drift_psi", version=version, signal="format") == 0
    assert gauge(found, "cv_health_drift_psi", version=version, signal="width") == 0
    assert gauge(found, "cv_health_format_total", version=version, value="JPEG") == 4
    assert gauge(found, "cv_health_width_count", version=version) == 4
    assert 0.9 < gauge(found, "cv_health_estimated_accuracy", version=version) <= 1


def test_a_swapped_model_is_judged_against_its_own_card_and_labelled_with_its_version(
    app, api, tmp_path, cat_photo
):
    first = serving.parts(app).classifier.model_version
    predict(api, cat_photo)
    # A card without a profile, from a calibration too poor to estimate accuracy from.
    swapped = other_model(
        tmp_path,
        "2.0.0+swapped",
        lambda card: (
            card.pop("reference_profile"),
            card["evaluation"]["test"].update(expected_calibration_error=0.05),
        ),
    )
    # What serving does with whichever model answered, however it was swapped in.
    monitoring.parts(app).model_health.observe(swapped.predict(image_bytes(fmt="PNG")))
    found = samples(api)
    assert gauge(found, "cv_health_format_total", version="2.0.0+swapped", value="PNG") == 1
    assert gauge(found, "cv_health_format_total", version=first, value="PNG") == 0
    assert gauge(found, "cv_health_window_predictions", version=first) == 1
    assert gauge(found, "cv_health_window_predictions", version="2.0.0+swapped") == 1
    assert gauge(found, "cv_health_drift_psi", version=first, signal="class") is not None
    assert gauge(found, "cv_health_drift_psi", version="2.0.0+swapped", signal="class") is None
    assert gauge(found, "cv_health_estimated_accuracy", version=first) is not None
    assert gauge(found, "cv_health_estimated_accuracy", version="2.0.0+swapped") is None


def test_only_the_latest_versions_keep_their_series(app, tmp_path):
    health = monitoring.parts(app).model_health
    for number in range(model_health.MAX_VERSIONS + 2):
        health.track(None, f"v{number}")
    assert len(health.versions()) == model_health.MAX_VERSIONS
    found = samples(app.test_client())
    assert gauge(found, "cv_health_format_total", version="v0", value="PNG") is None
    assert gauge(found, "cv_health_format_total", version="v5", value="PNG") == 0


def test_feedback_accuracy_is_exported_per_version_with_its_interval(app, api, cat_photo):
    version = serving.parts(app).classifier.model_version
    for right in (1, 1, 0):
        feedback_id = predict(api, cat_photo, consent=True)["feedback_id"]
        api.post("/api/update-feedback", json={"feedback_id": feedback_id, "user_feedback": right})
    found = samples(api)
    assert gauge(found, "cv_health_feedback_votes", version=version) == 3
    assert gauge(found, "cv_health_feedback_accuracy", version=version, bound="accuracy") == (
        pytest.approx(2 / 3)
    )
    lower = gauge(found, "cv_health_feedback_accuracy", version=version, bound="lower")
    upper = gauge(found, "cv_health_feedback_accuracy", version=version, bound="upper")
    assert 0 < lower < 2 / 3 < upper < 1


@pytest.fixture(scope="module")
def detector_model(tmp_path_factory):
    """The shipped model with a stand-in detector that refuses cats and answers dogs."""
    return detector.with_detector(tmp_path_factory.mktemp("detector"))


def test_neither_answers_move_their_share_and_the_detectors_score(
    make_app, detector_model, cat_photo, dog_photo
):
    app = make_app(MODEL_PATH=str(detector_model), MODEL_HEALTH_WINDOW=4, RATELIMIT_ENABLED=False)
    app.test_client_class = ApiClient
    api = app.test_client()
    version = serving.parts(app).classifier.model_version
    found = samples(api)
    assert gauge(found, "cv_health_neither_expected_share", version=version) == 0.00958
    assert gauge(found, "cv_health_neither_share", version=version) is None  # nothing seen yet
    for photo in (dog_photo, dog_photo, cat_photo, cat_photo):
        predict(api, photo)
    found = samples(api)
    assert gauge(found, "cv_predictions_total", result="neither", version=version) == 2
    assert gauge(found, "cv_health_neither_total", version=version, value="yes") == 2
    assert gauge(found, "cv_health_neither_share", version=version) == 0.5
    assert gauge(found, "cv_health_drift_psi", version=version, signal="neither") > 0.25
    # The score over its threshold: about 0 for the dogs, about 2 for the cats.
    assert gauge(found, "cv_health_neither_score_bucket", version=version, le="0.3") == 2
    assert gauge(found, "cv_health_neither_score_bucket", version=version, le="1.5") == 2
    assert gauge(found, "cv_health_neither_score_count", version=version) == 4
    status = monitoring.parts(app).model_health.status(version)
    assert status["neither"] == {"expected": 0.00958, "share": 0.5}
    assert status["signals"]["neither_score"]["mean"] == pytest.approx(1, abs=0.01)


def test_a_model_without_a_detector_has_no_neither_signal(make_app, tmp_path, cat_photo):
    app = make_app(MODEL_PATH=str(detector.without_detector(tmp_path)), RATELIMIT_ENABLED=False)
    app.test_client_class = ApiClient
    api = app.test_client()
    predict(api, cat_photo)
    found = samples(api)
    version = serving.parts(app).classifier.model_version
    assert [name for name, _ in found if name.startswith("cv_health_neither")] == []
    assert gauge(found, "cv_health_drift_psi", version=version, signal="neither") is None
    assert gauge(found, "cv_health_drift_psi", version=version, signal="class") is not None
    status = monitoring.parts(app).model_health.status(version)
    assert status["neither"] is None and "neither" not in status["signals"]


def test_a_profile_with_a_reference_for_the_score_gives_it_a_psi(tmp_path, dog_photo):
    model = detector.with_detector(tmp_path)
    card = json.loads(model.with_suffix(".json").read_text())
    score = signals.BY_NAME["neither_score"]
    card["reference_profile"]["signals"]["neither_score"] = {
        "bins": score.bins,
        "shares": [1 / len(score.bins)] * len(score.bins),
        "edges": list(score.edges),
        "mean": 0.5,
    }
    model.with_suffix(".json").write_text(json.dumps(card))
    assert profile_problem(card["reference_profile"]) is None  # the card accepts it
    classifier = Classifier(ModelCard.for_model(model))
    health = model_health.ModelHealth(CollectorRegistry(), window=2, feedback_days=7)
    for _ in range(2):
        health.observe(classifier.predict(dog_photo))
    summary = health.status(classifier.model_version)["signals"]
    assert summary["neither_score"]["shares"][0] == 1  # dogs score about 0
    assert summary["neither_score"]["psi"] > 0.25
