"""Bearer tokens on the JSON API: refused, in the URL, named, revoked, compared in constant time."""

import hmac

import pytest

from tests.helpers import TOKEN

OTHER = "second-token-abcdef"  # the second named token of the test settings
PROTECTED = [
    ("post", "/api/predict"),
    ("post", "/api/update-feedback"),
    ("get", "/api/statistics"),
    ("get", "/api/predictions"),
    ("delete", "/api/predictions/1"),
]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong"),
        bearer(TOKEN + "x"),
        bearer(TOKEN[:-1]),
        bearer(" " * 3),
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Token {TOKEN}"},
        {"Authorization": "Bearer"},
    ],
)
@pytest.mark.parametrize("method, path", PROTECTED)
def test_a_missing_or_wrong_token_is_401_with_a_challenge(client, method, path, headers):
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "API_TOKEN" in response.get_json()["message"]  # where a caller gets one


@pytest.mark.parametrize(
    "name, headers",
    [
        ("token", bearer(TOKEN)),
        ("access_token", {}),
        ("api_token", {}),
        ("api_key", bearer(TOKEN)),
    ],
)
@pytest.mark.parametrize("method, path", PROTECTED)
def test_a_token_in_the_url_is_refused_even_with_a_good_header(client, method, path, name, headers):
    response = getattr(client, method)(f"{path}?{name}={TOKEN}", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "token_in_query"


def test_any_named_token_is_accepted(client):
    assert client.get("/api/statistics", headers=bearer(OTHER)).status_code == 200


def test_revoking_one_named_token_leaves_the_others_working(make_app):
    client = make_app(API_TOKENS={"test": TOKEN}).test_client()  # "other" was revoked
    assert client.get("/api/statistics", headers=bearer(OTHER)).status_code == 401
    assert client.get("/api/statistics", headers=bearer(TOKEN)).status_code == 200


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
