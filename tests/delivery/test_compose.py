"""The Compose stack up for real: ops/docker-compose.yml with the app image built here and
stand-ins for PostgreSQL, Prometheus and Alertmanager (compose.override.yml). Traffic stays on
loopback: the app and Prometheus are published on 127.0.0.1 only."""

import contextlib
import json
import re
import secrets
import shutil
import time

import pytest
import requests
import yaml

from tests.delivery import engine
from tests.delivery.compose import COMPOSE_FILE, Stack, for_compose_v1
from tests.delivery.test_image import noise_png
from tests.helpers import image_bytes
from tests.serve_helpers import free_port


@pytest.fixture(scope="module")
def stack(app_image, tmp_path_factory):
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed: ops/install-test-tools.sh installs it")
    standins = engine.subprocess.run(
        ["sh", engine.OPS / "standins" / "build.sh", "postgres", "prometheus", "alertmanager"],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert standins.returncode == 0, standins.stderr[-3000:]
    repository, _, tag = engine.IMAGE.partition(":")
    environment = {
        "COMPOSE_PROJECT_NAME": f"catsdogs-test-{secrets.token_hex(4)}",
        "APP_IMAGE": repository,
        "APP_TAG": tag,
        "APP_PORT": free_port(*engine.PORTS),
        "PROMETHEUS_TEST_PORT": free_port(*engine.PORTS),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "MLFLOW_DB_PASSWORD": secrets.token_hex(16),  # required by the file; MLflow not started
        "SECRET_KEY": secrets.token_hex(24),
        "API_TOKEN": secrets.token_hex(16),
        "GRAFANA_ADMIN_PASSWORD": secrets.token_hex(16),
        "GRAFANA_DB_PASSWORD": secrets.token_hex(16),
        # Alertmanager needs a URL to start; nothing listens there, nothing is sent in a test.
        "DISCORD_WEBHOOK_URL": "http://127.0.0.1:9/discord",
        "DB_WAIT_ATTEMPTS": "60",
    }
    stack = Stack(tmp_path_factory.mktemp("stack"), environment)
    stack.url = f"http://127.0.0.1:{environment['APP_PORT']}"
    stack.prometheus = f"http://127.0.0.1:{environment['PROMETHEUS_TEST_PORT']}"
    stack.token = environment["API_TOKEN"]
    try:
        stack.up()
        wait_healthy(stack)
        yield stack
    finally:
        stack.down("--volumes")


def wait_healthy(stack, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{stack.url}/health", timeout=2).status_code == 200:
                return
        time.sleep(1)
    raise AssertionError(f"the app never became healthy:\n{stack.logs('app')}\n{stack.logs('db')}")


def predict(stack, photo: bytes | None = None) -> dict:
    answer = requests.post(
        f"{stack.url}/api/predict",
        headers={"Authorization": f"Bearer {stack.token}"},
        files={"file": ("photo.png", photo or image_bytes(size=(300, 200)), "image/png")},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def rows_in_db_container(stack, **where) -> int:
    """Rows of predictions_feedback whose one column given has the value given (id, request_id)."""
    [(column, value)] = where.items()
    assert re.fullmatch(r"[\w-]+", str(value)), value
    result = stack.run(
        "exec", "-T", "db", "sh", "-c",
        'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc '
        f"\"SELECT count(*) FROM predictions_feedback WHERE {column} = '{value}'\"",
    )  # fmt: skip
    return int(result.stdout.strip())


def prometheus(stack, path: str, **params) -> dict:
    answer = requests.get(f"{stack.prometheus}{path}", params=params, timeout=5)
    answer.raise_for_status()
    return answer.json()["data"]


def health(stack, service: str) -> str:
    container = stack.container(service)
    return engine.docker(
        "inspect", "--format", "{{.State.Health.Status}}", container
    ).stdout.strip()


def in_app(stack, command: str, check=True):
    return engine.docker("exec", stack.container("app"), "sh", "-c", command, check=check)


def test_compose_v1_reads_the_file_with_only_two_keys_rewritten(tmp_path):
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    translated = for_compose_v1(compose, {"DISCORD_WEBHOOK_URL": "https://x"}, tmp_path)
    assert translated["services"] == compose["services"]
    assert translated["volumes"] == compose["volumes"]
    assert set(compose) - set(translated) == {"name"}
    assert translated["secrets"]["discord_webhook_url"] == {
        "file": str(tmp_path / "secret-discord_webhook_url")
    }
    assert (tmp_path / "secret-discord_webhook_url").read_text() == "https://x"


def test_the_app_container_is_healthy_by_its_own_health_check(stack):
    deadline = time.monotonic() + 120  # the image checks every 30 s
    while (status := health(stack, "app")) == "starting" and time.monotonic() < deadline:
        time.sleep(2)
    assert status == "healthy", stack.logs("app")
    body = requests.get(
        f"{stack.url}/health", headers={"Authorization": f"Bearer {stack.token}"}, timeout=5
    ).json()
    assert body["database"] == "connected" and body["model"]["loaded"] is True


def test_a_prediction_is_stored_in_the_postgresql_container(stack):
    made = predict(stack)
    assert rows_in_db_container(stack, id=made["id"]) == 1


def test_the_app_container_is_locked_down_like_the_kubernetes_pod(stack):
    host = json.loads(
        engine.docker("inspect", "--format", "{{json .HostConfig}}", stack.container("app")).stdout
    )
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["Memory"] == host["MemorySwap"] == 1024**3  # the pod's limit, no swap
    assert host["PidsLimit"] == 256
    # What the served process holds: no capability, not even in its bounding set (a non-root
    # process has no effective ones anyway), and no way to gain one through a setuid file.
    lines = in_app(stack, "cat /proc/1/status").stdout.splitlines()
    status = dict(line.partition(":")[::2] for line in lines)
    assert "wsgi.py" in in_app(stack, "cat /proc/1/cmdline").stdout
    assert int(status["CapBnd"], 16) == int(status["CapEff"], 16) == 0, status
    assert status["NoNewPrivs"].strip() == "1"
    for path in ("/x", "/tmp/x", "/app/x"):
        refused = in_app(stack, f"touch {path}", check=False)
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr, path
    in_app(stack, "touch /app/instance/probe && rm /app/instance/probe")


def test_a_large_upload_spills_to_tmpdir_in_the_instance_volume(stack):
    # Megabytes of noise: waitress and Werkzeug keep such a body in a temporary file.
    made = predict(stack, noise_png(1200, 900))
    assert rows_in_db_container(stack, id=made["id"]) == 1
    assert in_app(stack, 'echo "$TMPDIR"').stdout.strip() == "/app/instance/tmp"


def test_predictions_made_while_the_database_is_stopped_are_spooled_then_stored(stack):
    stack.run("stop", "db")
    try:
        made = predict(stack)
        assert made["id"] is None  # spooled, not stored yet
        spool = in_app(stack, "cat /app/instance/spool.jsonl").stdout
        [row] = [json.loads(line) for line in spool.splitlines()]
    finally:
        stack.run("start", "db")
    deadline = time.monotonic() + 120  # PostgreSQL starts, then the app's next database check
    while health(stack, "db") != "healthy" or not rows_in_db_container(
        stack, request_id=row["request_id"]
    ):
        assert time.monotonic() < deadline, stack.logs("app")
        time.sleep(2)
    assert in_app(stack, "test -e /app/instance/spool.jsonl", check=False).returncode != 0


def test_prometheus_scrapes_the_app_container_and_knows_alertmanager(stack):
    deadline = time.monotonic() + 60  # scrapes every 10 s
    while time.monotonic() < deadline:
        targets = prometheus(stack, "/api/v1/targets")["activeTargets"]
        app = [t for t in targets if t["labels"]["job"] == "catsdogs"]
        if app and app[0]["health"] == "up":
            break
        time.sleep(2)
    assert app and app[0]["health"] == "up", targets
    assert app[0]["scrapeUrl"] == "http://app:8000/metrics"
    (series,) = prometheus(stack, "/api/v1/query", query="cv_model_info")["result"]
    assert series["metric"]["job"] == "catsdogs"
    managers = prometheus(stack, "/api/v1/alertmanagers")["activeAlertmanagers"]
    assert [m["url"] for m in managers] == ["http://alertmanager:9093/api/v2/alerts"]


def test_down_and_up_again_keeps_the_data(stack):
    made = predict(stack)
    stack.down()  # no --volumes: what `make down` does
    assert stack.container("app") == ""
    stack.up()
    wait_healthy(stack)
    assert rows_in_db_container(stack, id=made["id"]) == 1
    again = requests.get(
        f"{stack.url}/api/predictions/{made['id']}",
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=10,
    )
    assert again.status_code == 200 and again.json()["prediction_result"] == made["prediction"]
