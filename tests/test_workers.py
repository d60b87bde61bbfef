"""`python wsgi.py --workers 2`: two serving processes on one port, seen from outside as one
service (catsdogs/workers.py)."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import ROOT
from tests.monitoring.discord_stub import DiscordStub
from tests.pictures import drawing
from tests.serve_helpers import free_port, served_environment, wait_until_answering

REDIS = "redis://127.0.0.1:6379/0"
PREDICTIONS = 24


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """Two workers on SQLite with limits in Redis; yield (url, parent process, metrics folder,
    console log, token)."""
    try:
        redis.Redis.from_url(REDIS, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS}: {error}")
    instance = tmp_path_factory.mktemp("workers")
    token = f"workers-{secrets.token_hex(8)}"  # limits count per token in the shared Redis
    env = served_environment(
        instance, token, PURGE_INTERVAL_SECONDS="0", RATELIMIT_STORAGE_URI=REDIS
    )
    port = free_port()
    console = instance / "console.log"
    with console.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "wsgi.py"), "--port", str(port), "--workers", "2"],
            # A folder of ours, to read each worker's counts apart.
            env={**env, "PROMETHEUS_MULTIPROC_DIR": str(instance / "metrics")},
            stderr=stderr,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(url, process, console.read_text, seconds=60)
            yield url, process, instance / "metrics", console, token
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0, console.read_text()


def children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def start_two_workers(env: dict, port: int) -> subprocess.CompletedProcess:
    """`python wsgi.py --workers 2` expected to stop by itself: its status and output."""
    command = [sys.executable, str(ROOT / "wsgi.py"), "--workers", "2", "--port", str(port)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def predict(url: str, token: str, count: int) -> list[int]:
    """`count` predictions from 6 clients at once, each on a new connection."""

    def one(_: int) -> int:
        return requests.post(
            f"{url}/api/predict",
            headers={"Authorization": f"Bearer {token}", "Connection": "close"},
            files={"file": ("drawing.png", drawing(), "image/png")},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(6) as clients:
        return list(clients.map(one, range(count)))


def scraped(url: str) -> dict[str, float]:
    """Predictions and predict requests that /metrics reports, read on a new connection."""
    text = requests.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text
    totals = {"predictions": 0.0, "requests": 0.0, "window": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "cv_predictions_total":
                totals["predictions"] += sample.value
            elif sample.name == "flask_http_request_total" and sample.labels["method"] == "POST":
                totals["requests"] += sample.value
            elif sample.name == "cv_health_window_predictions":
                totals["window"] += sample.value
    return totals


def predictions_in_file(database: Path, tmp_path: Path) -> float:
    """The predictions one worker counted, from its own counter file alone."""
    alone = tmp_path / database.stem
    alone.mkdir()
    shutil.copy(database, alone)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, str(alone))
    return sum(
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "cv_predictions_total"
    )


def test_metrics_count_each_prediction_once_whichever_worker_is_scraped(service, tmp_path):
    url, process, folder, _, token = service
    # Each worker publishes its model health window at most once a second: an earlier test's
    # last predictions must be in it before counting from here, or they count as this test's.
    time.sleep(2)
    before = scraped(url)
    assert predict(url, token, PREDICTIONS) == [200] * PREDICTIONS
    # Each worker counted some: the requests were spread over both.
    per_worker = [
        predictions_in_file(folder / f"counter_{pid}.db", tmp_path) for pid in children(process.pid)
    ]
    assert len(per_worker) == 2 and all(count > 0 for count in per_worker), per_worker
    time.sleep(2)  # each worker publishes its model health window at most once a second
    for _ in range(8):  # new connections: the scrapes land on either worker
        after = scraped(url)
        assert after["predictions"] - before["predictions"] == PREDICTIONS
        assert after["requests"] - before["requests"] == PREDICTIONS
        assert after["window"] - before["window"] == PREDICTIONS


def test_a_worker_that_dies_is_replaced_and_its_counts_stay(service):
    url, process, _, console, token = service
    assert predict(url, token, 4) == [200] * 4
    counted = scraped(url)["predictions"]
    workers = children(process.pid)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = children(process.pid)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.2)
    assert len(children(process.pid)) == 2 and victim not in children(process.pid)
    wait_until_answering(url, process, console.read_text, seconds=60)
    assert predict(url, token, 6) == [200] * 6
    assert scraped(url)["predictions"] == counted + 6
    assert f"(pid {victim}) exited with -9: starting another" in console.read_text()


def test_several_workers_without_shared_rate_limits_refuse_to_start(tmp_path):
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "API_TOKEN": "t"}
    result = start_two_workers(env, free_port())
    assert result.returncode == 2
    assert result.stderr == (
        "cannot start: 2 workers need shared rate limits; set RATELIMIT_STORAGE_URI "
        "(e.g. redis://127.0.0.1:6379/0), or WORKERS=1\n"
    )


def test_a_port_in_use_is_one_line_with_several_workers_too(tmp_path):
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": REDIS}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        result = start_two_workers(env, port)
    assert result.returncode == 2
    assert result.stderr == (
        f"cannot start: 127.0.0.1:{port} is already in use; "
        "pick another port: --port, or PORT= for make run\n"
    )


def test_an_event_every_worker_sees_is_told_to_discord_once(tmp_path):
    """The registry is unreachable for both workers alike: one message, not one per worker."""
    stub = DiscordStub()
    env = served_environment(
        tmp_path,
        "t",
        PURGE_INTERVAL_SECONDS="0",
        RATELIMIT_STORAGE_URI=REDIS,
        DISCORD_WEBHOOK_URL=stub.url,
        MLFLOW_TRACKING_URI=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        MODEL_POLL_SECONDS="1",
    )
    port = free_port()
    console = tmp_path / "console.log"
    with console.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "wsgi.py"), "--port", str(port), "--workers", "2"],
            env=env,
            stderr=stderr,
        )
        try:
            wait_until_answering(f"http://127.0.0.1:{port}", process, console.read_text, 60)
            assert stub.wait_for(1, timeout=30), console.read_text()
            time.sleep(5)  # five polls more: time for a second worker's message to arrive
        finally:
            process.terminate()
            process.wait(timeout=30)
            stub.close()
    assert console.read_text().count("model registry unreachable at start") == 2
    titles = [embed["title"] for _, body in stub.posts for embed in body["embeds"]]
    assert titles == ["Model registry unreachable"]


def test_workers_that_cannot_build_the_app_stop_the_service_with_their_status(tmp_path):
    env = {
        **os.environ,
        "INSTANCE_PATH": str(tmp_path),
        "RATELIMIT_STORAGE_URI": REDIS,
        "DATABASE_CHECK_SECONDS": "0",
        "MODEL_PATH": str(tmp_path / "missing.onnx"),
    }
    result = start_two_workers(env, free_port())
    assert result.returncode == 1
    assert f"model file not found: {tmp_path / 'missing.onnx'}" in result.stderr
    assert "exited with 1 before serving: stopping" in result.stderr
