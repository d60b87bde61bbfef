"""The Docker engine, the serving image and PostgreSQL databases for the delivery tests.

The engine is Debian's dockerd, started by ops/start-docker.sh when none answers; the registry
images are replaced by ops/standins (built once, then cached by the engine). Test traffic stays
on loopback: containers use the host's network or publish on 127.0.0.1.
"""

import contextlib
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests
from sqlalchemy.engine import make_url

from tests.serve_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
# Debian's client: it speaks to Debian's dockerd with BuildKit built in, no buildx plugin needed.
DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else shutil.which("docker")
IMAGE = "catsdogs-app:delivery-test"
PORTS = (21000, 21999)  # delivery tests; hardening 16000s, browser 17000s, monitoring 18000s
SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def docker(*args, check=True, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [DOCKER, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(map(str, args))}: {result.stderr[-2000:]}")
    return result


def start_engine() -> str | None:
    """None when an engine answers (started here if need be), else why none can run."""
    if DOCKER is None:
        return "no docker client: ops/install-test-tools.sh installs docker.io"
    result = subprocess.run(
        ["sh", OPS / "start-docker.sh"], capture_output=True, text=True, timeout=120
    )
    return None if result.returncode == 0 else f"no Docker engine can start: {result.stderr}"


def build_image() -> dict:
    """Build the serving image from ops/Dockerfile as users do; return its figures."""
    started = time.monotonic()
    standins = subprocess.run(
        ["sh", OPS / "standins" / "build.sh", "python"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert standins.returncode == 0, standins.stderr[-3000:]
    base_seconds = time.monotonic() - started
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    # --network host: pip reaches PyPI from the build as it would from the user's machine.
    build = docker(
        "build", "--network", "host", "-f", OPS / "Dockerfile", "-t", IMAGE, ROOT,
        env=env, timeout=1200, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    base = base_image()
    return {
        "build_seconds": time.monotonic() - started - base_seconds,
        "base_seconds": base_seconds,
        "size": image_size(IMAGE),
        "base": base,
        "base_size": image_size(base),
    }


def base_image() -> str:
    for line in (OPS / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            return line.split()[1]
    raise AssertionError("ops/Dockerfile has no FROM")


def image_size(name: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", name).stdout)


# --- PostgreSQL ------------------------------------------------------------------------------


def server_url() -> str:
    """The PostgreSQL server of TEST_DATABASE_URL (the local one by default), any database."""
    return os.environ.get("TEST_DATABASE_URL") or SERVER


@contextlib.contextmanager
def new_database():
    """A database of its own on the test server, dropped afterwards; skip if none answers."""
    url = make_url(server_url())
    name = f"catsdogs_delivery_{uuid.uuid4().hex[:10]}"
    admin = dict(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres"
    )
    if url.password:
        admin["password"] = url.password
    try:
        connection = psycopg2.connect(dbname="postgres", connect_timeout=5, **admin)
    except psycopg2.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {url.host}:{url.port}: {error}")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def query(url: str, sql: str, *params) -> list[tuple]:
    parts = make_url(url)
    connection = psycopg2.connect(
        host=parts.host, port=parts.port, user=parts.username, password=parts.password,
        dbname=parts.database,
    )  # fmt: skip
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connection.close()


# --- Containers ------------------------------------------------------------------------------


class Container:
    """One container of the serving image on the host's network, its instance in a volume."""

    def __init__(self, database_url: str, volume: str, **environment):
        self.name = f"catsdogs-delivery-{uuid.uuid4().hex[:10]}"
        self.volume = volume
        self.port = free_port(*PORTS)
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"DATABASE_URL": database_url, "DATABASE_CHECK_SECONDS": "2", **environment}
        docker(
            "run", "--detach", "--name", self.name, "--network", "host",
            # What production runs: a read-only root file system, the instance volume writable.
            "--read-only", "--volume", f"{volume}:/app/instance",
            *[arg for key, value in env.items() for arg in ("--env", f"{key}={value}")],
            IMAGE, "python", "wsgi.py", "--host", "127.0.0.1", "--port", self.port,
        )  # fmt: skip

    def wait_healthy(self, seconds: float = 120) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                response = requests.get(f"{self.url}/health", timeout=2)
                if response.status_code == 200:
                    return response.json()
            state = docker("inspect", "--format", "{{.State.Status}}", self.name).stdout.strip()
            assert state == "running", f"container {state}:\n{self.logs()}"
            time.sleep(0.5)
        raise AssertionError(f"/health never answered 200 within {seconds} s:\n{self.logs()}")

    def exec(self, *command, check=True) -> subprocess.CompletedProcess:
        return docker("exec", self.name, *command, check=check)

    def token(self) -> str:
        return self.exec("flask", "--app", "catsdogs", "api-token", "--show").stdout.strip()

    def logs(self) -> str:
        result = docker("logs", self.name, check=False)
        return (result.stdout + result.stderr)[-4000:]

    def inspect(self, template: str) -> str:
        return docker("inspect", "--format", template, self.name).stdout.strip()

    def remove(self) -> None:
        docker("rm", "--force", self.name, check=False)


@contextlib.contextmanager
def volume():
    name = f"catsdogs-delivery-{uuid.uuid4().hex[:10]}"
    docker("volume", "create", name)
    try:
        yield name
    finally:
        docker("volume", "rm", "--force", name, check=False)
