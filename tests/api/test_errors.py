"""Errors on the JSON API: one JSON shape, service codes mapped to statuses, HTML elsewhere."""

import pytest

from catsdogs.api.errors import HTTP_CODES, SERVICE_STATUS
from catsdogs.errors import ServiceError
from catsdogs.monitoring.metrics import ERROR_CODES


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


def test_every_service_code_is_an_error_status():
    assert {code: s for code, s in SERVICE_STATUS.items() if not 400 <= s < 600} == {}


def test_every_code_the_api_answers_has_its_own_metrics_label():
    answered = {
        *SERVICE_STATUS,
        *(code for code, _ in HTTP_CODES.values()),
        "token_in_query",
        "internal_error",
    }
    assert answered - set(ERROR_CODES) == set()  # else counted as "other" in cv_errors_total


@pytest.mark.parametrize("code, status", SERVICE_STATUS.items())
def test_a_service_error_in_a_view_becomes_its_json_body(app, code, status):
    def fail():
        raise ServiceError(code, "A plain sentence.")

    app.add_url_rule("/api/_test/fail", "fail", fail)
    response = app.test_client().get("/api/_test/fail")
    assert response.status_code == status
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
