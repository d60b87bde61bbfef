"""The console: a line per request with its id, errors with theirs, JSON lines on request."""

import io
import json
import logging

import pytest

from catsdogs import logs
from tests.helpers import AUTH, TOKEN, image_bytes

# The apps come from fixtures: migrating inside a test resets the handlers caplog adds.


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "catsdogs.requests"]


@pytest.mark.parametrize(
    "status, method, path, token, upload",
    [
        (200, "GET", "/api/statistics", TOKEN, None),
        (401, "GET", "/api/statistics", "wrong-secret", None),
        (413, "POST", "/api/predict", TOKEN, (b"\xff" * 4096, "big.jpg")),
        (415, "POST", "/api/predict", TOKEN, (b"text", "notes.txt")),
        (200, "POST", "/api/predict", TOKEN, (image_bytes(), "me.png")),
    ],
)
def test_each_request_is_one_line_without_tokens_or_personal_data(
    app, caplog, status, method, path, token, upload
):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    form = {"file": (io.BytesIO(upload[0]), upload[1]), "rgpd_consent": "true"} if upload else None
    with caplog.at_level(logging.INFO, logger="catsdogs.requests"):
        response = app.test_client().open(
            path, method=method, headers={"Authorization": f"Bearer {token}"}, data=form
        )
    assert response.status_code == status
    [line] = request_lines(caplog)
    assert line.levelno == logging.INFO
    assert (line.method, line.path, line.status) == (method, path, status)
    assert line.getMessage() == f"{method} {path} {status} {line.duration_ms} ms"
    assert line.duration_ms >= 0
    assert line.request_id == response.headers["X-Request-ID"]
    for secret in (TOKEN, "wrong-secret", "me.png", "notes.txt"):
        assert secret not in caplog.text


def test_the_query_string_is_not_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="catsdogs.requests"):
        client.get("/api/statistics?token=query-secret&limit=3")
    [line] = request_lines(caplog)
    assert line.path == "/api/statistics" and "query-secret" not in caplog.text


def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(client):
    kept = client.get("/health", headers={"X-Request-ID": "edge-42.a:b_c"})
    assert kept.headers["X-Request-ID"] == "edge-42.a:b_c"
    for odd in ("has space", "x" * 65, "semi;colon"):
        replaced = client.get("/health", headers={"X-Request-ID": odd}).headers["X-Request-ID"]
        assert replaced != odd and len(replaced) == 32
    assert client.get("/health").headers["X-Request-ID"] != replaced


def test_probes_are_logged_at_debug_only(client, caplog):
    with caplog.at_level(logging.INFO, logger="catsdogs.requests"):
        client.get("/health")
        client.get("/metrics")
    assert request_lines(caplog) == []


def test_control_characters_in_a_path_stay_on_one_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="catsdogs.requests"):
        client.get("/nowhere%0Aforged%20line")
    [line] = request_lines(caplog)
    assert line.path == "/nowhere\\nforged line" and "\n" not in line.getMessage()


@pytest.fixture
def failing_app(app):
    """The app with an API route that fails as a bug would."""

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/broken", "broken", broken)
    return app


def test_an_unexpected_error_is_logged_with_its_request_id(failing_app, caplog):
    with caplog.at_level(logging.INFO):
        response = failing_app.test_client().get("/api/broken", headers=AUTH)
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.request_id == request_id and error.exc_info
    assert (
        logs.TextFormatter(logs.TEXT)
        .format(error)
        .splitlines()[0]
        .endswith(f"request_id={request_id}")
    )
    [line] = request_lines(caplog)
    assert line.status == 500 and line.request_id == request_id


def test_json_lines_parse_with_the_request_fields(failing_app, caplog):
    with caplog.at_level(logging.INFO):
        failing_app.test_client().get("/api/broken", headers=AUTH)
    formatted = [logs.JsonFormatter().format(r) for r in caplog.records]
    entries = [json.loads(line) for line in formatted]
    assert all("\n" not in line for line in formatted)
    error, request = entries[-2], entries[-1]
    assert error["level"] == "ERROR" and "RuntimeError: a bug" in error["exception"]
    assert request["logger"] == "catsdogs.requests" and request["status"] == 500
    assert request["method"] == "GET" and request["path"] == "/api/broken"
    assert error["request_id"] == request["request_id"]
    assert {"time", "message", "duration_ms"} <= set(request)


def test_an_unknown_log_format_is_refused(make_app):
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of text, json"):
        make_app(LOG_FORMAT="xml")


@pytest.fixture
def limited(make_app):
    return make_app(RATE_LIMIT_PER_ADDRESS="1/minute")


@pytest.mark.parametrize(
    "address, shown",
    [
        ("192.0.2.77", "192.0.2.0"),
        ("2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
    ],
)
def test_a_client_address_in_a_log_line_is_truncated(limited, caplog, address, shown):
    client = limited.test_client()
    with caplog.at_level(logging.INFO):
        for _ in range(2):  # the second is over the limit: Flask-Limiter logs its key, the address
            answer = client.get("/api/statistics", environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 429
    [line] = [r.getMessage() for r in caplog.records if "exceeded" in r.getMessage()]
    assert f"({shown})" in line and address not in caplog.text


@pytest.mark.parametrize("text", ["default", "token:ci", "1.2.3", "GET", ""])
def test_what_is_not_an_address_is_logged_as_it_is(text):
    assert logs.truncated(text) == text
