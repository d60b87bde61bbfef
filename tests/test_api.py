"""The JSON API: every documented status code, as a client sees it."""

import io

import pytest

from catsdogs import create_app, state
from catsdogs.models import COMMENT_MAX_LENGTH
from tests.helpers import TOKEN, BrokenClassifier, image_bytes, settings_for


def predict(api, data: bytes, name="photo.jpg", **form):
    return api.post(
        "/api/predict",
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def test_predict_returns_the_documented_fields(api, cat_photo):
    response = predict(api, cat_photo, rgpd_consent="true")
    body = response.get_json()
    assert response.status_code == 200
    assert body["prediction"] == "cat"
    assert body["id"] == body["feedback_id"] and body["id"] > 0
    assert abs(body["probabilities"]["cat"] + body["probabilities"]["dog"] - 1) < 1e-5
    assert 0.5 <= body["confidence"] <= 1 and body["confidence"] == body["probabilities"]["cat"]
    assert body["inference_time_ms"] > 0
    assert body["model_version"].startswith("1.")
    assert body["filename"] == "photo.jpg"


def test_dog_photo_is_a_dog(api, dog_photo):
    assert predict(api, dog_photo).get_json()["prediction"] == "dog"


@pytest.mark.parametrize("consent", ["false", "0", "off", "no", ""])
def test_without_consent_no_file_name_is_kept(api, app, cat_photo, consent):
    body = predict(api, cat_photo, name="my-cat.jpg", rgpd_consent=consent).get_json()
    assert body["filename"] is None
    stored = api.get("/api/predictions").get_json()["items"][0]
    assert stored["filename"] is None and stored["rgpd_consent"] is False


@pytest.mark.parametrize(
    "form, status, code",
    [
        (dict, 400, "invalid_request"),
        (lambda: {"file": (io.BytesIO(b""), "empty.jpg")}, 400, "empty_file"),
        (lambda: {"file": (io.BytesIO(b"not an image"), "cat.jpg")}, 415, "not_an_image"),
        (lambda: {"file": (io.BytesIO(b"%PDF-1.7 ..."), "x.pdf")}, 415, "not_an_image"),
        (lambda: {"image": (io.BytesIO(image_bytes()), "cat.png")}, 400, "invalid_request"),
        (
            lambda: {"file": (io.BytesIO(image_bytes()), "a.png"), "rgpd_consent": "maybe"},
            400,
            "invalid_request",
        ),
        (
            lambda: {
                "file": [(io.BytesIO(image_bytes()), "a.png"), (io.BytesIO(image_bytes()), "b.png")]
            },
            400,
            "too_many_files",
        ),
    ],
)
def test_predict_rejects_bad_requests_with_json_errors(api, form, status, code):
    # Fresh files for each run: the client closes them, and each backend runs the case.
    response = api.post("/api/predict", data=form(), content_type="multipart/form-data")
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert response.get_json()["message"]


def test_predict_rejects_a_json_body(api):
    response = api.post("/api/predict", json={"file": "cat.jpg"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_upload_over_the_limit_is_413(make_app):
    api_client = make_app(MAX_UPLOAD_MB=0.01).test_client()
    response = api_client.post(
        "/api/predict",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"file": (io.BytesIO(b"\xff" * 20_000), "big.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and response.get_json()["error"] == "file_too_large"


@pytest.mark.parametrize(
    "headers, query",
    [
        ({}, ""),
        ({"Authorization": "Bearer wrong"}, ""),
        ({"Authorization": f"Basic {TOKEN}"}, ""),
        ({"Authorization": f"Bearer {TOKEN}"}, f"?token={TOKEN}"),
        ({}, f"?access_token={TOKEN}"),
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/predict"),
        ("post", "/api/update-feedback"),
        ("get", "/api/statistics"),
        ("get", "/api/predictions"),
        ("delete", "/api/predictions/1"),
    ],
)
def test_endpoints_need_the_token_in_the_header(client, method, path, headers, query):
    response = getattr(client, method)(path + query, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] in ("unauthorized", "token_in_query")


def test_any_named_token_is_accepted(client):
    response = client.get(
        "/api/statistics", headers={"Authorization": "Bearer second-token-abcdef"}
    )
    assert response.status_code == 200


def test_model_failure_is_503(api, app, cat_photo):
    state.install(app, classifier=BrokenClassifier())
    response = predict(api, cat_photo)
    assert response.status_code == 503 and response.get_json()["error"] == "model_unavailable"
    health = api.get("/health")
    assert health.status_code == 503 and health.get_json()["model"]["loaded"] is False


def test_feedback_on_a_consented_prediction(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="on").get_json()["id"]
    response = api.post(
        "/api/update-feedback",
        json={"feedback_id": prediction_id, "user_feedback": 1, "user_comment": "  Right!  "},
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "feedback_id": prediction_id,
        "user_feedback": 1,
        "user_comment": "Right!",
    }
    stored = api.get("/api/predictions").get_json()["items"][0]
    assert stored["user_feedback"] == 1 and stored["user_comment"] == "Right!"


def test_feedback_as_a_form(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="1").get_json()["id"]
    response = api.post(
        "/api/update-feedback", data={"feedback_id": str(prediction_id), "user_feedback": "0"}
    )
    assert response.status_code == 200 and response.get_json()["user_feedback"] == 0


def test_feedback_without_consent_is_403(api, cat_photo):
    prediction_id = predict(api, cat_photo).get_json()["id"]
    response = api.post(
        "/api/update-feedback", json={"feedback_id": prediction_id, "user_feedback": 1}
    )
    assert response.status_code == 403 and response.get_json()["error"] == "no_consent"


@pytest.mark.parametrize("feedback_id", [999_999, 2**31 - 1])
def test_feedback_on_an_unknown_id_is_404(api, feedback_id):
    response = api.post(
        "/api/update-feedback", json={"feedback_id": feedback_id, "user_feedback": 1}
    )
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"feedback_id": 1, "user_feedback": 2},
        {"feedback_id": 1, "user_feedback": "yes"},
        {"feedback_id": 1},
        {"user_feedback": 1},
        {"feedback_id": -1, "user_feedback": 1},
        {"feedback_id": 0, "user_feedback": 1},
        {"feedback_id": 2**64, "user_feedback": 1},
        {"feedback_id": "1.5", "user_feedback": 1},
        {"feedback_id": "abc", "user_feedback": 1},
        {"feedback_id": 1, "user_feedback": 1, "user_comment": "x" * (COMMENT_MAX_LENGTH + 1)},
        {"feedback_id": 1, "user_feedback": 1, "user_comment": 12},
    ],
)
def test_invalid_feedback_is_400(api, cat_photo, body):
    predict(api, cat_photo, rgpd_consent="true")
    response = api.post("/api/update-feedback", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_feedback_with_a_non_json_body_is_400(api):
    response = api.post("/api/update-feedback", data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_statistics_count_what_happened(api, cat_photo, dog_photo):
    first = predict(api, cat_photo, rgpd_consent="true").get_json()["id"]
    predict(api, dog_photo, rgpd_consent="true")
    predict(api, dog_photo)
    api.post("/api/update-feedback", json={"feedback_id": first, "user_feedback": 0})
    stats = api.get("/api/statistics").get_json()
    assert stats["total_predictions"] == 3
    assert stats["predictions_by_class"] == {"cat": 1, "dog": 2, "error": 0}
    assert stats["consents"] == 2 and stats["consent_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert stats["feedback"] == {"positive": 0, "negative": 1, "total": 1}
    assert stats["satisfaction_rate"] == 0.0
    assert 0 < stats["inference_time_ms"]["mean"] <= stats["inference_time_ms"]["p95"] * 3


def test_statistics_of_an_empty_database(api):
    stats = api.get("/api/statistics").get_json()
    assert stats["total_predictions"] == 0 and stats["satisfaction_rate"] is None


def test_predictions_are_listed_newest_first_and_paginated(api, cat_photo):
    ids = [predict(api, cat_photo).get_json()["id"] for _ in range(3)]
    page = api.get("/api/predictions?limit=2").get_json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    rest = api.get("/api/predictions?limit=2&offset=2").get_json()
    assert [item["id"] for item in rest["items"]] == [ids[0]]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=abc",
        "offset=-5",
        "offset=1e3",
        "limit=99999999999999999999",
    ],
)
def test_invalid_pagination_is_400(api, query):
    response = api.get(f"/api/predictions?{query}")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_erasure(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="true").get_json()["id"]
    assert api.delete(f"/api/predictions/{prediction_id}").status_code == 204
    assert api.get("/api/predictions").get_json()["items"] == []
    assert api.delete(f"/api/predictions/{prediction_id}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/predictions/0",
        "/api/predictions/-3",
        f"/api/predictions/{2**70}",
        "/api/predictions/abc",
        "/api/predictions/1.5",
    ],
)
def test_erasing_odd_ids_is_404(api, path):
    response = api.delete(path)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_unknown_api_path_and_wrong_method_are_json(api):
    assert api.get("/api/nothing-here").get_json()["error"] == "not_found"
    response = api.get("/api/predict")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_health_exercises_model_and_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy" and body["database"] == "connected"
    assert body["model"]["loaded"] is True and body["model"]["version"].startswith("1.")


def test_database_outage_degrades_health_and_spools_predictions(make_app, cat_photo):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://nobody@127.0.0.1:9/none")
    client = app.test_client()
    health = client.get("/health")
    assert health.status_code == 200
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["database"] == "disconnected"
    response = client.post(
        "/api/predict",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"file": (io.BytesIO(cat_photo), "c.jpg")},
    )
    assert response.status_code == 200 and response.get_json()["id"] is None
    assert client.get("/health").get_json()["spooled_predictions"] == 1


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert {
        "/api/predict",
        "/api/update-feedback",
        "/api/statistics",
        "/api/predictions",
        "/api/predictions/{prediction_id}",
        "/health",
    } <= set(paths)
    upload = paths["/api/predict"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = spec["components"]["schemas"][upload["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"file", "rgpd_consent"} <= set(schema["properties"])
    assert {"200", "400", "401", "413", "415", "503"} <= set(
        paths["/api/predict"]["post"]["responses"]
    )


def test_docs_are_served_with_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "https://" not in html
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.data


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_at_start(tmp_path, url):
    with pytest.raises(ValueError, match="in-memory SQLite database, which loses every"):
        create_app(settings_for(tmp_path, url))
