"""A real database outage: stop a throwaway PostgreSQL under load, restart it, lose nothing."""

import glob
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from catsdogs import create_app, store
from catsdogs.store import migrations
from catsdogs.extensions import db
from tests.helpers import TOKEN, image_bytes, settings_for
from tests.serve_helpers import free_port, serve

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not BINARIES or not shutil.which("runuser"),
        reason="PostgreSQL server binaries (pg_ctl, initdb) are absent",
    ),
    pytest.mark.skipif(
        os.geteuid() != 0, reason="runs a cluster as the postgres user (runuser): needs root"
    ),
]
CLIENTS = 6
BEARER = {"Authorization": f"Bearer {TOKEN}"}  # /health shows its detail only with it


class Postgres:
    """A private cluster in a temporary folder, owned by the postgres user (we may be root)."""

    def __init__(self):
        self.bin = Path(BINARIES[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="catsdogs-outage-"))
        shutil.chown(self.folder, "postgres")
        self.data, self.port = self.folder / "data", free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool, *args):
        subprocess.run(
            ["runuser", "-u", "postgres", "--", self.bin / tool, *map(str, args)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "log", "-w", "start"
        )

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self):
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                self.bin / "pg_ctl",
                "-D",
                self.data,
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def postgres():
    cluster = Postgres()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def outage_app(postgres, tmp_path):
    app = create_app(
        settings_for(tmp_path, postgres.url, DATABASE_CHECK_SECONDS=0.3, RATELIMIT_ENABLED=False)
    )
    with app.app_context():
        migrations.upgrade(app)
    yield app
    store.parts(app).database_watch.stop()
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


class Load:
    """Clients posting photos in a loop until told to stop; every answer is kept in order."""

    def __init__(self, url: str):
        self.url, self.answers, self.stopped = url, [], threading.Event()
        self.lock = threading.Lock()

    def client(self, photo: bytes):
        with requests.Session() as session:
            while not self.stopped.is_set():
                response = session.post(
                    f"{self.url}/api/predict",
                    timeout=30,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    files={"file": ("cat.png", photo, "image/png")},
                )
                with self.lock:
                    self.answers.append((response.status_code, response.json()))

    def wait_for(self, condition, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the load did not get there in time"
            time.sleep(0.05)

    def spooled(self) -> int:
        with self.lock:
            return sum(status == 200 and body["id"] is None for status, body in self.answers)


def gauge(url: str) -> float:
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    return float(re.search(r"^cv_database_connected (\S+)$", metrics, re.MULTILINE).group(1))


def test_an_outage_under_load_loses_no_prediction(postgres, outage_app):
    spool = store.parts(outage_app).spool
    appended, replay = [], spool.replay  # the spool file's order, as replay reads it
    spool.replay = lambda write: replay(
        lambda rows: (write(rows), appended.extend(row["request_id"] for row in rows))
    )
    store.parts(outage_app).database_watch.start()
    with serve(outage_app, threads=8) as url, ThreadPoolExecutor(CLIENTS) as pool:
        load = Load(url)
        clients = [
            pool.submit(load.client, image_bytes("RGB", (96, 96), "PNG")) for _ in range(CLIENTS)
        ]
        load.wait_for(lambda: len(load.answers) >= 30)
        postgres.stop()
        load.wait_for(lambda: load.spooled() >= 30)
        health = requests.get(f"{url}/health", headers=BEARER, timeout=10).json()
        assert health["status"] == "degraded" and health["spooled_predictions"] > 0
        assert gauge(url) == 0
        postgres.start()
        load.wait_for(
            lambda: (
                requests.get(f"{url}/health", headers=BEARER, timeout=10).json()["database"]
                == "connected"
            )
        )
        count = len(load.answers)
        load.wait_for(lambda: len(load.answers) >= count + 30)
        load.stopped.set()
        for client in clients:
            client.result()
        load.wait_for(lambda: len(spool) == 0, timeout=15)
        assert gauge(url) == 1
    assert {status for status, _ in load.answers} == {200}
    engine = create_engine(postgres.url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, request_id FROM predictions_feedback ORDER BY id")
        ).all()
    engine.dispose()
    stored = [request_id for _, request_id in rows]
    assert len(stored) == len(set(stored)) == len(load.answers)
    stored_ids = {row_id for row_id, _ in rows}
    answered_ids = {body["id"] for _, body in load.answers if body["id"] is not None}
    assert answered_ids <= stored_ids
    replayed = [request_id for request_id in stored if request_id in set(appended)]
    assert replayed == appended  # the spool's order is the table's order


def test_connections_the_server_killed_cost_one_spooled_prediction_not_one_each(
    postgres, outage_app
):
    with outage_app.app_context():
        engine = db.engine
        pooled = [engine.raw_connection() for _ in range(3)]
        for connection in pooled:
            connection.close()  # three idle connections wait in the pool
    killer = create_engine(postgres.url)
    with killer.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        )
    killer.dispose()
    client = outage_app.test_client()
    answers = [
        client.post(
            "/api/predict",
            headers={"Authorization": f"Bearer {TOKEN}"},
            data={"file": (io.BytesIO(image_bytes("RGB", (96, 96), "PNG")), "cat.png")},
        )
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    ids = [answer.get_json()["id"] for answer in answers]
    assert ids[0] is None and len(store.parts(outage_app).spool) == 1
    assert all(isinstance(row_id, int) for row_id in ids[1:])
