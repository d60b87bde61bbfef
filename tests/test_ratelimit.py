"""Rate limits: 429 with Retry-After per token and per address, exempt paths, switched off."""

from tests.helpers import TOKEN

OTHER = "second-token-abcdef"  # the second named token of the test settings


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


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
