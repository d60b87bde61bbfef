"""The site's error page: styled and translated for browsers; the API's paths keep JSON."""

import re

import pytest

from catsdogs.errors import ServiceError
from tests.helpers import TOKEN

FRENCH = {"Accept-Language": "fr"}


def looks_like_the_site(body: str) -> bool:
    return body.startswith("<!doctype html>") and "css/catsdogs.css" in body and 'href="/"' in body


@pytest.mark.parametrize(
    "headers, title, back",
    [({}, "Page not found", "Back to the home page"), (FRENCH, "Page introuvable", "Retour")],
)
def test_an_unknown_page_is_the_site_s_404_in_the_page_s_language(client, headers, title, back):
    response = client.get("/nothing-here", headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert looks_like_the_site(body) and f"<h1>{title}</h1>" in body and back in body
    assert "The requested URL was not found on the server" not in body  # Werkzeug's own page


def test_a_wrong_method_on_a_page_keeps_its_allow_header(client):
    response = client.post("/info", headers=FRENCH)
    body = response.get_data(as_text=True)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert looks_like_the_site(body) and "Requête non acceptée" in body


def test_too_many_requests_on_a_page_says_to_wait(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="1/minute").test_client()
    client.get("/info")
    response = client.get("/info")
    body = response.get_data(as_text=True)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert looks_like_the_site(body) and "Please wait a minute and try again." in body


def test_a_crash_on_a_page_shows_the_page_without_details(app, caplog):
    def crash():
        raise RuntimeError("secret internals")

    app.add_url_rule("/crash", "crash", crash)
    response = app.test_client().get("/crash", headers=FRENCH)
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and looks_like_the_site(body)
    assert "Un problème est survenu" in body and "secret internals" not in body
    assert "secret internals" in caplog.text  # the log keeps what the page does not show


def test_the_error_page_is_ready_for_a_strict_content_security_policy(client):
    body = client.get("/nothing-here").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert not re.search(r"\sstyle=|\son[a-z]+=|javascript:", body)


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("get", "/api/nothing-here", 404, "not_found"),
        ("post", "/health", 405, "method_not_allowed"),
        ("get", "/openapi.json/nothing", 404, "not_found"),
    ],
)
def test_the_api_s_paths_keep_their_english_json_errors(client, method, path, status, code):
    headers = {**FRENCH, "Authorization": f"Bearer {TOKEN}"}
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == status and response.get_json()["error"] == code
    assert response.get_json()["message"].isascii()


def test_a_crash_on_the_api_stays_json(app):
    def crash():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/_test/crash", "api_crash", crash)
    response = app.test_client().get("/api/_test/crash", headers=FRENCH)
    assert response.status_code == 500 and response.get_json()["error"] == "internal_error"


def test_a_service_error_on_a_page_is_the_site_s_page_with_the_table_s_status(app):
    def refuse():
        raise ServiceError("no_consent", "Feedback is only kept for predictions made with consent.")

    app.add_url_rule("/_test/refuse", "refuse", refuse)
    response = app.test_client().get("/_test/refuse", headers=FRENCH)
    body = response.get_data(as_text=True)
    assert response.status_code == 403 and looks_like_the_site(body)
    assert "<h1>La requête a échoué</h1>" in body
    assert "Un avis n’est conservé que pour les prédictions faites avec consentement." in body
