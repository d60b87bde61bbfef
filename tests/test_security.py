"""Auth, rate limits, security headers, cookie flags and the banner, as a client sees them."""

import hmac
import re

import pytest
import requests
from flask import session

from catsdogs.security import CONTENT_SECURITY_POLICY
from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS
from tests.helpers import TOKEN
from tests.serve_helpers import serve

OTHER = "second-token-abcdef"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "path, status",
    [
        ("/", 200),
        ("/docs", 200),
        ("/openapi.json", 200),
        ("/health", 200),
        ("/api/statistics", 401),
        ("/api/nothing", 404),
        ("/static/favicon.svg", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, path, status):
    with client.get(path) as response:
        assert response.status_code == status
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Retry-After" not in response.headers


def test_the_policy_allows_only_this_origin():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives == {
        "default-src": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "img-src": "'self' data:",
    }


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_httponly_and_lax(make_app, secure):
    app = make_app(SESSION_COOKIE_SECURE=secure)
    app.add_url_rule("/_test/session", "set_session", lambda: session.update(x=1) or "ok")
    cookie = app.test_client().get("/_test/session").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


def test_waitress_shows_no_server_banner(app):
    with serve(app) as url:  # waitress' default ident, as `waitress-serve` without --ident
        response = requests.get(f"{url}/health", timeout=10)
    assert response.headers["Server"] == "catsdogs"
    assert not any(
        re.search(r"waitress/|\d+\.\d+\.\d+", value)
        for name, value in response.headers.items()
        if name != "Date"
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong"),
        bearer(TOKEN + "x"),
        bearer(TOKEN[:-1]),
        {"Authorization": TOKEN},
        {"Authorization": f"Token {TOKEN}"},
        {"Authorization": "Bearer"},
        bearer(" " * 3),
    ],
)
def test_a_missing_or_wrong_token_is_401_with_a_challenge(client, headers):
    response = client.get("/api/statistics", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_in_the_url_is_refused_even_with_a_good_header(client):
    response = client.get(f"/api/statistics?api_key={TOKEN}", headers=bearer(TOKEN))
    assert response.status_code == 401 and response.get_json()["error"] == "token_in_query"


def test_every_token_is_compared_in_constant_time(client, monkeypatch):
    compared, compare = [], hmac.compare_digest

    def spy(a, b):
        compared.append(b)
        return compare(a, b)

    monkeypatch.setattr("catsdogs.api.auth.hmac.compare_digest", spy)
    assert client.get("/api/statistics", headers=bearer(TOKEN)).status_code == 200
    # No early exit on the first match: the time does not tell which token matched.
    assert compared.count(TOKEN.encode()) == compared.count(OTHER.encode()) >= 1
    assert set(compared) == {TOKEN.encode(), OTHER.encode()}


def test_revoking_one_named_token_leaves_the_others_working(make_app):
    client = make_app(API_TOKENS={"test": TOKEN}).test_client()  # "other" was revoked
    assert client.get("/api/statistics", headers=bearer(OTHER)).status_code == 401
    assert client.get("/api/statistics", headers=bearer(TOKEN)).status_code == 200


def test_the_token_limit_answers_429_with_retry_after(make_app):
    client = make_app(RATE_LIMIT_PER_TOKEN="3/minute").test_client()
    statuses = [client.get("/api/statistics", headers=bearer(TOKEN)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/predictions", headers=bearer(TOKEN))  # the limit is per token
    assert response.status_code == 429 and response.get_json()["error"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/api/statistics", headers=bearer(OTHER)).status_code == 200


def test_the_address_limit_counts_every_token_and_none(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="4/minute").test_client()
    for headers in (bearer(TOKEN), bearer(OTHER), {}, bearer("wrong")):
        assert client.get("/api/statistics", headers=headers).status_code in (200, 401)
    response = client.get("/", headers=bearer(OTHER))
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    elsewhere = client.get(
        "/api/statistics", headers=bearer(TOKEN), environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert elsewhere.status_code == 200


def test_health_metrics_and_static_files_are_never_limited(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="1/minute").test_client()
    for _ in range(3):
        for path in ("/health", "/metrics", "/static/favicon.svg"):
            with client.get(path) as response:
                assert response.status_code == 200


def test_limits_can_be_switched_off(make_app):
    client = make_app(RATE_LIMIT_PER_TOKEN="1/minute", RATELIMIT_ENABLED=False).test_client()
    assert all(
        client.get("/api/statistics", headers=bearer(TOKEN)).status_code == 200 for _ in range(3)
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent")
def test_the_docs_page_works_under_the_policy(app):
    from playwright.sync_api import sync_playwright

    problems = []
    with serve(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "console", lambda m: m.type == "error" and problems.append(f"{m.text} {m.location}")
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        page.goto(f"{url}/docs")
        page.wait_for_selector("#operations-predict-post_api_predict", timeout=15_000)
        browser.close()
    assert problems == []
