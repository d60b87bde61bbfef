"""POST /api/predict: the documented answer, consent, size limit and a failing model."""

import errno
import io

import pytest

from tests.helpers import AUTH, BrokenClassifier, image_bytes, serve_model


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
    assert body["unsure"] is False


def test_a_red_pixel_is_neither_cat_nor_dog_and_the_answer_says_unsure(api):
    body = predict(api, image_bytes(size=(1, 1), color=(255, 0, 0))).get_json()
    assert body["confidence"] < 0.8 and body["unsure"] is True


def test_dog_photo_is_a_dog(api, dog_photo):
    assert predict(api, dog_photo).get_json()["prediction"] == "dog"


@pytest.mark.parametrize("consent", ["false", "0", "off", "no", ""])
def test_without_consent_no_file_name_is_kept(api, cat_photo, consent):
    body = predict(api, cat_photo, name="my-cat.jpg", rgpd_consent=consent).get_json()
    assert body["filename"] is None
    stored = api.get("/api/predictions").get_json()["items"][0]
    assert stored["filename"] is None and stored["rgpd_consent"] is False


def test_an_upload_over_the_configured_limit_is_413(make_app):
    client = make_app(MAX_UPLOAD_MB=0.01).test_client()
    response = client.post(
        "/api/predict",
        headers=AUTH,
        data={"file": (io.BytesIO(b"\xff" * 20_000), "big.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and response.get_json()["error"] == "file_too_large"


def test_a_failing_model_is_503_and_health_says_so(api, app, cat_photo):
    serve_model(app, BrokenClassifier())
    response = predict(api, cat_photo)
    assert response.status_code == 503 and response.get_json()["error"] == "model_unavailable"
    health = api.get("/health")
    assert health.status_code == 503 and health.get_json()["model"]["loaded"] is False


@pytest.mark.parametrize("consent", ["True", "TRUE", "Yes", "On", "tRuE"])
def test_consent_words_match_in_any_case(api, cat_photo, consent):
    """`requests.post(data={"rgpd_consent": True})` sends the text "True"."""
    response = predict(api, cat_photo, rgpd_consent=consent)
    assert response.status_code == 200 and response.get_json()["filename"] == "photo.jpg"


@pytest.mark.parametrize("consent", ["False", "NO", "Off"])
def test_refusal_words_match_in_any_case(api, cat_photo, consent):
    response = predict(api, cat_photo, rgpd_consent=consent)
    assert response.status_code == 200 and response.get_json()["filename"] is None


def test_an_unknown_field_is_400_and_named(api, cat_photo):
    response = predict(api, cat_photo, consent="true")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert "consent" in response.get_json()["message"]


@pytest.mark.parametrize("consent", [None, "false"])
def test_without_consent_there_is_no_feedback_id(api, cat_photo, consent):
    form = {} if consent is None else {"rgpd_consent": consent}
    body = predict(api, cat_photo, **form).get_json()
    assert body["id"] > 0 and "feedback_id" not in body


def test_a_full_disk_during_a_database_outage_is_503_storage_full(make_app, tmp_path, monkeypatch):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")

    def full(_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("catsdogs.store.spool.os.fsync", full)
    response = down.test_client().post(
        "/api/predict",
        headers=AUTH,
        data={"file": (io.BytesIO(image_bytes()), "cat.jpg"), "rgpd_consent": "true"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 503, response.text
    assert response.get_json() == {
        "error": "storage_full",
        "message": "The service cannot record predictions right now (its disk is full), so "
        "this one was not kept. Try again later.",
    }
