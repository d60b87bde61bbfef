"""Telemetry and its exporter: every metric at /metrics, moved by real requests."""

import io

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from catsdogs import serving, store
from catsdogs.monitoring.metrics import Telemetry
from tests.helpers import AUTH, BrokenClassifier, image_bytes, serve_model

STAGES = ("decode", "preprocess", "inference", "database")


def scrape(client) -> dict[tuple, float]:
    """Parse /metrics into {(sample name, sorted label pairs): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def predict(client, data: bytes, consent=True, filename="photo.png"):
    return client.post(
        "/api/predict",
        headers=AUTH,
        data={"file": (io.BytesIO(data), filename), "rgpd_consent": str(consent).lower()},
    )


def test_every_metric_moves_after_real_requests(app, client):
    version = serving.parts(app).classifier.model_version
    before = scrape(client)
    photo = image_bytes(size=(120, 90))
    ids = [predict(client, photo).get_json()["id"] for _ in range(2)]
    assert predict(client, b"not an image").status_code == 415
    for prediction_id, satisfied in zip(ids, (1, 0), strict=True):
        answer = client.post(
            "/api/update-feedback",
            headers=AUTH,
            json={"feedback_id": prediction_id, "user_feedback": satisfied},
        )
        assert answer.status_code == 200
    assert client.get("/health").status_code == 200
    store.parts(app).database_watch.check()  # the database watch, not /health, keeps the gauge
    serve_model(app, BrokenClassifier())
    assert predict(client, photo).status_code == 503
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert (
        sum(
            moved("cv_predictions_total", result=result, version=version)
            for result in ("cat", "dog", "neither")
        )
        == 2
    )
    assert moved("cv_predictions_total", result="error", version="broken") == 1
    for histogram in ("cv_inference_time_seconds", "cv_model_confidence", "cv_upload_size_bytes"):
        assert moved(f"{histogram}_count") == 2, histogram
    assert moved("cv_upload_size_bytes_sum") == 2 * len(photo)
    assert moved("cv_model_confidence_bucket", le="0.5") == 0  # the answer is the likelier class
    assert moved("cv_model_confidence_bucket", le="1.0") == 2
    assert moved("cv_inference_time_seconds_bucket", le="2.0") == 2
    for stage in STAGES:
        assert moved("cv_stage_duration_seconds_count", stage=stage) == 2, stage
    assert moved("cv_user_feedback_total", satisfaction="satisfied") == 1
    assert moved("cv_user_feedback_total", satisfaction="unsatisfied") == 1
    assert value(after, "cv_errors_total", code="not_an_image") == 1
    assert value(after, "cv_errors_total", code="model_unavailable") == 1
    assert value(after, "cv_database_connected") == 1
    assert value(after, "cv_model_info", version=version, role="champion") == 1
    assert (
        moved(
            "flask_http_request_duration_seconds_count",
            endpoint="predict.predict",
            method="POST",
            status="200",
        )
        == 2
    )
    assert moved("flask_http_request_total", method="POST", status="503") == 1


def test_label_values_are_bounded(client):
    predict(client, image_bytes(), filename="secret-holiday-photo.png")
    text = client.get("/metrics").text
    assert "secret-holiday-photo" not in text
    results = {
        dict(labels).get("result")
        for name, labels in scrape(client)
        if name == "cv_predictions_total"
    }
    assert results == {"cat", "dog", "neither", "error"}


def test_each_app_has_its_own_registry(make_app):
    first, second = make_app(), make_app()
    first_client, second_client = first.test_client(), second.test_client()
    assert predict(first_client, image_bytes()).status_code == 200
    assert second_client.get("/health").status_code == 200
    first_samples, second_samples = scrape(first_client), scrape(second_client)
    assert value(first_samples, "cv_inference_time_seconds_count") == 1
    assert value(second_samples, "cv_inference_time_seconds_count") == 0
    # The second app keeps its HTTP metrics (on a shared registry they would silently vanish).
    assert value(second_samples, "flask_http_request_total", method="GET", status="200") == 1
    assert value(second_samples, "flask_http_request_total", method="POST", status="200") == 0
    assert value(first_samples, "flask_http_request_total", method="POST", status="200") == 1


def test_predictions_are_served_with_prometheus_disabled(make_app):
    client = make_app(ENABLE_PROMETHEUS=False).test_client()
    assert client.get("/metrics").status_code == 404
    assert predict(client, image_bytes()).status_code == 200


def test_an_unknown_error_code_is_counted_as_other_and_no_version_means_no_model_info():
    registry = CollectorRegistry()
    telemetry = Telemetry(registry, None)
    telemetry.record_error("something-new")
    telemetry.record_error("not_found")
    assert registry.get_sample_value("cv_errors_total", {"code": "other"}) == 1
    assert registry.get_sample_value("cv_errors_total", {"code": "something-new"}) is None
    assert registry.get_sample_value("cv_errors_total", {"code": "not_found"}) == 1
    assert not [s for f in registry.collect() if f.name == "cv_model_info" for s in f.samples]
