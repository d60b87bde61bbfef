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
    assert response.get_json()["message"] == (
        "Too many requests: at most 3/minute per API token (the setting RATE_LIMIT_PER_TOKEN). "
        "Retry-After says when."
    )
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/api/statistics", headers=bearer(OTHER)).status_code == 200


def test_the_address_limit_counts_requests_without_a_valid_token(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="3/minute").test_client()
    for headers in (bearer(TOKEN), bearer(OTHER), {}, bearer("wrong"), {}):
        assert client.get("/api/statistics", headers=headers).status_code in (200, 401)
    response = client.get("/")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    message = client.get("/api/statistics").get_json()["message"]
    assert "3/minute per client address (the setting RATE_LIMIT_PER_ADDRESS)" in message
    assert client.get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200


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


def test_a_valid_token_keeps_its_own_bucket_after_its_address_is_limited(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="2/minute").test_client()
    assert [client.get("/api/statistics").status_code for _ in range(3)] == [401, 401, 429]
    assert client.get("/", headers=bearer("wrong")).status_code == 429  # not a valid token
    assert client.get("/api/statistics", headers=bearer(TOKEN)).status_code == 200


def forwarded(client, address: str):
    return client.get("/api/statistics", headers={"X-Forwarded-For": address})


def test_with_one_trusted_hop_each_forwarded_client_has_its_own_bucket(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="2/minute", TRUSTED_PROXY_HOPS=1).test_client()
    assert [forwarded(client, "198.51.100.1").status_code for _ in range(3)] == [401, 401, 429]
    assert forwarded(client, "198.51.100.2").status_code == 401
    # The proxy appends the address it saw: only that last entry is trusted, not a client's.
    assert forwarded(client, "198.51.100.2, 198.51.100.1").status_code == 429


def test_without_trusted_hops_a_forwarded_address_is_ignored(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="2/minute").test_client()
    statuses = [forwarded(client, f"198.51.100.{n}").status_code for n in range(1, 4)]
    assert statuses == [401, 401, 429]


def test_forms_refused_for_their_csrf_token_are_counted_too(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="2/minute").test_client()
    statuses = [client.post("/classify", data={}).status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]
