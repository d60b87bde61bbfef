"""Errors on the JSON API: one JSON shape, codes and statuses from the table, HTML elsewhere."""

import pytest
from werkzeug.exceptions import Gone

from catsdogs.errors import ERRORS, ServiceError


def test_unknown_api_path_and_wrong_method_are_json(api):
    assert api.get("/api/nothing-here").get_json()["error"] == "not_found"
    response = api.get("/api/predict")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_a_wrong_method_names_the_allowed_ones(api):
    response = api.put("/api/update-feedback")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_an_invalid_request_names_every_field_refused(api):
    response = api.post("/api/update-feedback", json={"feedback_id": 0, "user_feedback": 2})
    body = response.get_json()
    assert response.status_code == 400 and body["error"] == "invalid_request"
    assert body["message"].startswith("Invalid request.")
    assert "feedback_id" in body["message"] and "user_feedback" in body["message"]


def test_an_unknown_page_is_an_html_404_not_json(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404 and response.mimetype == "text/html"


@pytest.mark.parametrize("code", ERRORS)
def test_a_service_error_in_a_view_becomes_its_json_body(app, code):
    def fail():
        raise ServiceError(code, "A plain sentence.")

    app.add_url_rule("/api/_test/fail", "fail", fail)
    response = app.test_client().get("/api/_test/fail", headers={"Accept-Language": "fr"})
    assert response.status_code == ERRORS[code].status
    assert response.get_json() == {"error": code, "message": "A plain sentence."}


@pytest.mark.parametrize(
    "path, json_body",
    [("/api/_test/crash", True), ("/_test/crash", False)],
)
def test_an_unexpected_error_is_500_without_a_stack_trace(app, path, json_body):
    def crash():
        raise RuntimeError("secret detail")

    app.add_url_rule(path, "crash", crash)
    response = app.test_client().get(path)
    assert response.status_code == 500
    assert "secret detail" not in response.get_data(as_text=True)
    if json_body:
        assert response.get_json() == {
            "error": "internal_error",
            "message": "Something went wrong on our side.",
        }
    else:  # the site's error page (tests/web/test_errors.py)
        body = response.get_data(as_text=True)
        assert body.startswith("<!doctype html>") and "Something went wrong on our side." in body


@pytest.mark.parametrize(
    "path, status, body",
    [
        (
            "/api/nothing-here",
            404,
            {"error": "not_found", "message": "Nothing exists at this address."},
        ),
        (
            "/api/predict",
            405,
            {"error": "method_not_allowed", "message": "This method is not allowed here."},
        ),
        ("/v2/nothing-here", 404, {"error": "Nothing exists at this address."}),
    ],
)
def test_http_errors_answer_the_table_s_english_sentence(api, path, status, body):
    response = api.get(path, headers={"Accept-Language": "fr"})
    assert response.status_code == status and response.get_json() == body


def test_a_status_without_a_code_says_what_werkzeug_says(app):
    def gone():
        raise Gone()

    app.add_url_rule("/api/_test/gone", "gone", gone)
    response = app.test_client().get("/api/_test/gone")
    assert response.status_code == 410
    assert response.get_json() == {"error": "error", "message": Gone.description}
