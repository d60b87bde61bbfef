"""POST /api/update-feedback and DELETE /api/predictions/<id>: feedback, consent, erasure."""

import io

import pytest


def predict(api, data: bytes, **form) -> int:
    """The id of a new prediction of `data`."""
    response = api.post(
        "/api/predict",
        data={"file": (io.BytesIO(data), "photo.jpg"), **form},
        content_type="multipart/form-data",
    )
    return response.get_json()["id"]


def test_feedback_on_a_consented_prediction(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="on")
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
    prediction_id = predict(api, cat_photo, rgpd_consent="1")
    response = api.post(
        "/api/update-feedback", data={"feedback_id": str(prediction_id), "user_feedback": "0"}
    )
    assert response.status_code == 200 and response.get_json()["user_feedback"] == 0


def test_feedback_without_consent_is_403(api, cat_photo):
    prediction_id = predict(api, cat_photo)
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


def test_erasure(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="true")
    assert api.delete(f"/api/predictions/{prediction_id}").status_code == 204
    assert api.get("/api/predictions").get_json()["items"] == []
    assert api.delete(f"/api/predictions/{prediction_id}").status_code == 404


def test_feedback_with_an_unknown_field_is_400_and_named(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="true")
    response = api.post(
        "/api/update-feedback",
        json={"feedback_id": prediction_id, "user_feedback": 1, "coment": "typo"},
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert "coment" in response.get_json()["message"]


def test_a_vote_sent_again_without_a_comment_keeps_the_comment(api, cat_photo):
    prediction_id = predict(api, cat_photo, rgpd_consent="true")
    first = {"feedback_id": prediction_id, "user_feedback": 1, "user_comment": "x"}
    api.post("/api/update-feedback", json=first)
    again = api.post(
        "/api/update-feedback", json={"feedback_id": prediction_id, "user_feedback": 0}
    )
    assert again.get_json() == {
        "feedback_id": prediction_id,
        "user_feedback": 0,
        "user_comment": "x",
    }
    stored = api.get("/api/predictions").get_json()["items"][0]
    assert stored["user_feedback"] == 0 and stored["user_comment"] == "x"


@pytest.mark.parametrize("cleared", ["", None])
def test_an_empty_or_null_comment_clears_it(api, cat_photo, cleared):
    prediction_id = predict(api, cat_photo, rgpd_consent="true")
    first = {"feedback_id": prediction_id, "user_feedback": 1, "user_comment": "x"}
    api.post("/api/update-feedback", json=first)
    again = {"feedback_id": prediction_id, "user_feedback": 1, "user_comment": cleared}
    assert api.post("/api/update-feedback", json=again).get_json()["user_comment"] is None
    assert api.get("/api/predictions").get_json()["items"][0]["user_comment"] is None
