"""SIGTERM, as a container engine or Kubernetes sends it to stop the service: the port closes at
once (the balancer retries elsewhere), the request already in flight is answered, and the
process then exits by itself, well before the engine would kill it."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.helpers import ROOT, image_bytes
from tests.serve_helpers import free_port, wait_until_answering

TOKEN = "shutdown-test-token"


def multipart(photo: bytes) -> tuple[bytes, bytes]:
    """(headers, body) of a raw POST /api/predict, so the body can be sent in two halves."""
    boundary = "catsdogs-shutdown-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = (
        f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return headers, body


def response_of(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


# One process, and two workers under a parent that passes the signal on (catsdogs/workers.py).
@pytest.fixture(params=["1", "2"], ids=["one-process", "two-workers"])
def server(tmp_path, request):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'catsdogs.db'}",
        "INSTANCE_PATH": str(tmp_path),
        "API_TOKEN": TOKEN,
        "SECRET_KEY": "shutdown-test-secret-key-of-some-length",
        "DATABASE_CHECK_SECONDS": "0",
        "PURGE_INTERVAL_SECONDS": "0",
        "WORKERS": request.param,
    }
    if request.param != "1":  # several workers need shared rate limits
        env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    flask = [sys.executable, "-m", "flask", "--app", "catsdogs"]
    subprocess.run([*flask, "init-db"], env=env, check=True, capture_output=True, cwd=ROOT)
    port = free_port()
    log = (tmp_path / "console.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "wsgi.py"), "--port", str(port)],
        env=env,
        stderr=log,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url, process, (tmp_path / "console.log").read_text)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        log.close()


def test_sigterm_answers_the_request_in_flight_then_exits(server):
    process, port = server
    headers, body = multipart(image_bytes(size=(400, 300)))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(headers + body[: len(body) // 2])
        time.sleep(0.3)  # the server has read the first half: the request is in flight
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
        assert process.poll() is None, "the server quit with a request in flight"
        connection.sendall(body[len(body) // 2 :])
        answer = response_of(connection)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert b'"prediction"' in answer
    assert process.wait(timeout=5) == 0


def test_sigterm_with_nothing_in_flight_exits_at_once(server):
    process, port = server
    requests.get(f"http://127.0.0.1:{port}/health", timeout=5)  # an idle keep-alive is no work
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    assert time.monotonic() - started < 2
