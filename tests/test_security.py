"""Security headers, session cookie flags, no server banner, and ids in ASCII digits only."""

import io
import re
from urllib.parse import quote

import pytest
import requests
from flask import session

from catsdogs.security import CONTENT_SECURITY_POLICY
from tests.serve_helpers import serve

# The zero of scripts whose digits Python's \d and int() accept as well as 0-9.
OTHER_DIGIT_ZEROS = {"arabic-indic": 0x0660, "fullwidth": 0xFF10, "adlam": 0x1E950}


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


@pytest.mark.parametrize("zero", OTHER_DIGIT_ZEROS.values(), ids=OTHER_DIGIT_ZEROS)
def test_an_id_in_another_scripts_digits_is_404_even_when_the_row_exists(api, cat_photo, zero):
    created = api.post(
        "/api/predict",
        data={"file": (io.BytesIO(cat_photo), "cat.jpg"), "rgpd_consent": "true"},
        content_type="multipart/form-data",
    )
    prediction_id = created.get_json()["id"]
    spelled = "".join(chr(zero + int(digit)) for digit in str(prediction_id))
    assert int(spelled) == prediction_id  # the route would take it for that row
    response = api.delete(f"/api/predictions/{quote(spelled)}")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    listed = api.get("/api/predictions").get_json()["items"]
    assert [item["id"] for item in listed] == [prediction_id]
