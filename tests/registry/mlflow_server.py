"""A real MLflow tracking server on loopback, from its own virtualenv (`make mlflow`).

SQLite backend store and an artifact root that the server itself serves, both in a temporary
folder; `stop()` and `start()` keep the port and the store, for outage tests.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests import serve_helpers

ROOT = Path(__file__).resolve().parents[2]
MLFLOW = Path(os.environ.get("MLFLOW_BIN", ROOT / ".venv-mlflow" / "bin" / "mlflow"))
PORTS = (19000, 19499)  # the registry tests' range (see tests/serve_helpers.py)
# MLflow 3 starts seven job-runner processes (~240 MB each) for its GenAI features unless told
# not to; the registry needs none of them. No usage reports either.
QUIET = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}
START_TIMEOUT = 120  # seconds: imports and the store's migrations take a while on 2 busy cores


class MlflowServer:
    """`mlflow server` as a subprocess; `url` is its tracking URI."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = serve_helpers.free_port(*PORTS)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "mlflow.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "MlflowServer":
        """Start the server and wait until it answers its health check; skip the test if there
        is no server to start."""
        if not MLFLOW.exists():
            pytest.skip(f"no MLflow server at {MLFLOW}: `make mlflow` installs it")
        command = [
            str(MLFLOW), "server",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", "1",
            "--backend-store-uri", f"sqlite:///{self.folder / 'mlflow.db'}",
            "--serve-artifacts",
            "--artifacts-destination", str(self.folder / "artifacts"),
        ]  # fmt: skip
        environment = os.environ | QUIET
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {self.tail()}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer in {START_TIMEOUT} s: {self.tail()}")

    def stop(self) -> None:
        """Stop the server and its workers (its own process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=5)

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""
