"""`python wsgi.py`, as `make run` and the image start it: a real process on loopback."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from bench.floor import twelve_megapixel_jpeg
from tests.helpers import ROOT
from tests.serve_helpers import free_port, served_environment, served_process

TOKEN = "serve-test-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The service started by its entry point on SQLite; yield its base URL."""
    with served_process(tmp_path_factory.mktemp("instance"), TOKEN) as (url, _pid):
        yield url


def test_serves_a_healthy_app_without_naming_the_server_version(served):
    response = requests.get(f"{served}/health", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"
    assert response.headers["Server"] == "catsdogs"


def test_classifies_a_twelve_megapixel_upload(served):
    response = requests.post(
        f"{served}/api/predict",
        headers={"Authorization": f"Bearer {TOKEN}"},
        files={"file": ("big.jpg", twelve_megapixel_jpeg(), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["prediction"] in ("cat", "dog")
    assert response.json()["id"] > 0


def test_refuses_an_unknown_option_with_a_usage_message(tmp_path):
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "API_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, str(ROOT / "wsgi.py"), "--processes", "3"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2
    assert "usage: python wsgi.py" in result.stderr


def test_a_port_in_use_is_one_line_and_status_2(tmp_path):
    env = {
        **os.environ,
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "x",
        "API_TOKEN": TOKEN,
        "DATABASE_CHECK_SECONDS": "0",
        "PURGE_INTERVAL_SECONDS": "0",
    }
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "wsgi.py"), "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        f"cannot start: 127.0.0.1:{port} is already in use; "
        "pick another port: --port, or PORT= for make run\n"
    ) in result.stderr


def test_json_lines_on_the_console_one_per_request(tmp_path):
    env = served_environment(tmp_path, TOKEN, PURGE_INTERVAL_SECONDS="0", LOG_FORMAT="json")
    port = free_port()
    console = tmp_path / "console.log"
    with console.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "wsgi.py"), "--port", str(port)], env=env, stderr=stderr
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    requests.get(f"{url}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    assert server.poll() is None, console.read_text()
                    time.sleep(0.1)
            statuses = [
                requests.get(f"{url}/api/statistics", headers=headers, timeout=5).status_code
                for headers in ({}, {"Authorization": f"Bearer {TOKEN}"})
            ]
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert statuses == [401, 200]
    entries = [json.loads(line) for line in console.read_text().splitlines()]
    assert "Serving on" in " ".join(e["message"] for e in entries)
    answered = [e for e in entries if e["logger"] == "catsdogs.requests"]
    assert [(e["path"], e["status"]) for e in answered] == [
        ("/api/statistics", 401),
        ("/api/statistics", 200),
    ]
    assert all(len(e["request_id"]) == 32 for e in answered)
    assert TOKEN not in console.read_text()


def test_a_body_larger_than_the_upload_limit_is_refused_before_it_is_read(served):
    # 300 MB announced, 2 MB sent: waitress' default (1 GiB) waited for the rest, spooling it to
    # a temporary file, before the app could say 401 or 413.
    with socket.create_connection(("127.0.0.1", int(served.rsplit(":", 1)[1])), timeout=5) as s:
        s.sendall(
            b"POST /classify HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; "
            b"boundary=x\r\nContent-Length: 314572800\r\n\r\n"
        )
        try:
            s.sendall(b"\0" * 2 * 1024 * 1024)
        except OSError:
            pass  # refused and closed mid-body: the answer is already there to read
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_hundred_half_open_connections_do_not_block_a_fresh_one(served):
    port = int(served.rsplit(":", 1)[1])
    idle = []
    try:
        for _ in range(150):  # each a request that never ends: waitress' old limit was 100
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n")
            idle.append(sock)
        started = time.monotonic()
        response = requests.get(f"{served}/health/live", timeout=5)
        assert response.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in idle:
            sock.close()
