"""GET /health, /api/statistics and /api/predictions: what they report, and during an outage."""

import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from catsdogs import monitoring
from catsdogs.monitoring import health as checks

from catsdogs.serving.served_models import RegistryState
from tests.helpers import AUTH, BrokenClassifier, serve_model
from tests.serve_helpers import free_port


def predict(api, data: bytes, **form) -> int:
    """The id of a new prediction of `data`."""
    response = api.post(
        "/api/predict",
        data={"file": (io.BytesIO(data), "photo.jpg"), **form},
        content_type="multipart/form-data",
    )
    return response.get_json()["id"]


def test_health_exercises_model_and_database(client):
    response = client.get("/health", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy" and body["database"] == "connected"
    assert body["model"]["loaded"] is True and body["model"]["version"].startswith("1.")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_public_health_says_only_its_status(client, headers):
    response = client.get("/health", headers=headers)
    assert response.status_code == 200 and response.get_json() == {"status": "healthy"}


def test_public_health_keeps_the_503_of_a_missing_model(app, client):
    serve_model(app, BrokenClassifier())
    response = client.get("/health")
    assert response.status_code == 503 and response.get_json() == {"status": "unhealthy"}


def test_health_runs_its_checks_once_within_the_cache_window(app, client, monkeypatch):
    calls = []
    real = checks.report
    monkeypatch.setattr(checks, "report", lambda *args: calls.append(1) or real(*args))
    assert client.get("/health").status_code == 200
    assert client.get("/health", headers=AUTH).get_json()["database"] == "connected"
    assert len(calls) == 1
    monitoring.parts(app).health_report.seconds = 0
    client.get("/health")
    assert len(calls) == 2


def test_health_checks_once_for_callers_arriving_together(app, monkeypatch):
    calls, real = [], checks.report

    def slow(*args):
        calls.append(1)
        time.sleep(0.2)
        return real(*args)

    monkeypatch.setattr(checks, "report", slow)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: app.test_client().get("/health").status_code, range(8)))
    assert answers == [200] * 8 and len(calls) == 1


def test_database_outage_degrades_health_and_spools_predictions(make_app, cat_photo):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://nobody@127.0.0.1:9/none")
    monitoring.parts(app).health_report.seconds = 0  # its spooled count is read again below
    client = app.test_client()
    health = client.get("/health", headers=AUTH)
    assert health.status_code == 200
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["database"] == "disconnected"
    response = client.post(
        "/api/predict", headers=AUTH, data={"file": (io.BytesIO(cat_photo), "c.jpg")}
    )
    assert response.status_code == 200 and response.get_json()["id"] is None
    assert "feedback_id" not in response.get_json()  # a spooled row cannot take feedback yet
    assert client.get("/health", headers=AUTH).get_json()["spooled_predictions"] == 1


def test_statistics_count_what_happened(api, cat_photo, dog_photo):
    first = predict(api, cat_photo, rgpd_consent="true")
    predict(api, dog_photo, rgpd_consent="true")
    predict(api, dog_photo)
    api.post("/api/update-feedback", json={"feedback_id": first, "user_feedback": 0})
    stats = api.get("/api/statistics").get_json()
    assert stats["total_predictions"] == 3
    assert stats["predictions_by_class"] == {"cat": 1, "dog": 2, "neither": 0, "error": 0}
    assert stats["consents"] == 2 and stats["consent_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert stats["feedback"] == {"positive": 0, "negative": 1, "total": 1}
    assert stats["satisfaction_rate"] == 0.0
    assert 0 < stats["inference_time_ms"]["mean"] <= stats["inference_time_ms"]["p95"] * 3


def test_statistics_of_an_empty_database(api):
    stats = api.get("/api/statistics").get_json()
    assert stats["total_predictions"] == 0 and stats["satisfaction_rate"] is None


def test_predictions_are_listed_newest_first_and_paginated(api, cat_photo):
    ids = [predict(api, cat_photo) for _ in range(3)]
    page = api.get("/api/predictions?limit=2").get_json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    rest = api.get("/api/predictions?limit=2&offset=2").get_json()
    assert [item["id"] for item in rest["items"]] == [ids[0]]


def test_the_list_gives_the_total_stored(api, cat_photo):
    for _ in range(3):
        predict(api, cat_photo)
    page = api.get("/api/predictions?limit=1&offset=1").get_json()
    assert page["total"] == 3 and len(page["items"]) == 1


def test_one_prediction_is_returned_by_its_id(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="true")
    api.post("/api/update-feedback", json={"feedback_id": prediction_id, "user_feedback": 1})
    response = api.get(f"/api/predictions/{prediction_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body == api.get("/api/predictions").get_json()["items"][0]
    assert body["id"] == prediction_id and body["prediction_result"] == "cat"
    assert body["filename"] == "photo.jpg" and body["user_feedback"] == 1


@pytest.mark.parametrize("prediction_id", ["999999", "0", "-1", str(2**31), "9" * 50])
def test_an_unknown_prediction_id_is_404_in_json(api, prediction_id):
    response = api.get(f"/api/predictions/{prediction_id}")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_one_prediction_needs_the_token(client):
    response = client.get("/api/predictions/1")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_liveness_answers_and_readiness_names_what_serves(client):
    assert client.get("/health/live").get_json() == {"status": "alive"}
    ready = client.get("/health/ready", headers=AUTH)
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["ready"] is True and body["shadow"] is None
    assert body["serving"]["source"] == "packaged" and body["registry"]["configured"] is False


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_public_readiness_says_only_whether_it_is_ready(client, headers):
    ready = client.get("/health/ready", headers=headers)
    assert ready.status_code == 200 and ready.get_json() == {"ready": True}


def test_readiness_is_503_when_the_model_fails_but_liveness_is_not(app, client):
    serve_model(app, BrokenClassifier())
    assert client.get("/health/ready").status_code == 503
    assert client.get("/health/ready").get_json()["ready"] is False
    assert client.get("/health/live").status_code == 200


def test_readiness_does_not_depend_on_the_database(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://nobody@127.0.0.1:9/none")
    assert app.test_client().get("/health/ready").status_code == 200


def test_reload_answers_503_when_the_registry_cannot_be_reached(make_app):
    app = make_app(MLFLOW_TRACKING_URI=f"http://127.0.0.1:{free_port()}")
    answer = app.test_client().post("/api/model/reload", headers=AUTH)
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["error"] == "registry_unreachable"
    assert body["message"].startswith("The model registry cannot be reached (cannot reach MLflow")
    assert body["message"].endswith("1.1.0+3ecc1288 keeps serving.")


def test_the_registry_s_last_success_reads_as_a_utc_time():
    state = RegistryState(configured=True, reachable=True, last_success=1_765_000_000.5)
    assert state.describe()["last_success"] == "2025-12-06T05:46:40+00:00"
    assert RegistryState(configured=True).describe()["last_success"] is None


def test_reload_needs_the_token_and_a_registry(client, api):
    assert client.post("/api/model/reload").status_code == 401
    answer = api.post("/api/model/reload")
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "no_registry"
