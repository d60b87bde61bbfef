"""docs/registry.md as a newcomer follows it: the light MLflow server it starts, the line that
says what to do next, and the practice model's command."""

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from catsdogs.training import commands
from catsdogs.training.__main__ import _parser
from tests import serve_helpers
from tests.helpers import ROOT
from tests.registry.mlflow_server import MLFLOW, PORTS, QUIET, START_TIMEOUT

REGISTRY_DOC = (ROOT / "docs" / "registry.md").read_text()
SERVE_LOCAL = (ROOT / "ops" / "mlflow" / "serve-local.sh").read_text()


def test_the_docs_start_the_light_server_and_restart_the_app_with_its_uri():
    assert "make mlflow-server" in REGISTRY_DOC
    assert "MLFLOW_TRACKING_URI=http://127.0.0.1:5000 make run" in REGISTRY_DOC
    assert "start it again with it" in REGISTRY_DOC
    assert ".venv-mlflow/bin/mlflow server" not in REGISTRY_DOC  # the heavy defaults are gone


def test_the_light_server_has_the_tests_settings():
    assert "--workers 1" in SERVE_LOCAL
    for name, value in QUIET.items():  # no job runners, no usage reports
        assert f"{name}={value}" in SERVE_LOCAL


def test_make_mlflow_says_what_it_installs_and_how_long_before_it_does():
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "ops/mlflow/requirements.txt", "mlflow"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    steps = planned.splitlines()
    first_install = next(i for i, step in enumerate(steps) if "pip install" in step)
    said_before = "\n".join(steps[:first_install])
    assert "Installing the MLflow tracking server" in said_before
    assert "about 2 minutes" in said_before and "pinned packages" in said_before
    assert "MLflow ready in" in steps[-1], steps


def test_the_int8_practice_command_parses_and_names_the_shipped_copy():
    [line] = [
        ln for ln in REGISTRY_DOC.splitlines() if ln.startswith(".venv/bin/python -m catsdogs.")
    ]
    words = shlex.split(line)
    assert words[:3] == [".venv/bin/python", "-m", "catsdogs.training"]
    args = _parser().parse_args(words[3:])
    assert args.command is commands.log
    assert (ROOT / args.model).is_file() and args.model.endswith("catsdogs-int8.onnx")
    assert Path(args.model).with_suffix(".json").name == "catsdogs-int8.json"


@pytest.mark.system  # starts MLflow from .venv-mlflow
def test_make_mlflow_server_prints_its_ready_line_once_it_answers(tmp_path):
    if not MLFLOW.exists():
        pytest.skip(f"no MLflow server at {MLFLOW}: `make mlflow` installs it")
    port = serve_helpers.free_port(*PORTS)
    server = subprocess.Popen(
        ["make", "--no-print-directory", "mlflow-server", f"MLFLOW_PORT={port}",
         f"MLFLOW_DATA={tmp_path}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        said = wait_for_line(server, "ready on", START_TIMEOUT)
        url = f"http://127.0.0.1:{port}"
        assert said == (
            f"MLflow ready on {url} -- in another terminal: MLFLOW_TRACKING_URI={url} make run"
        )
        assert requests.get(f"{url}/health", timeout=5).status_code == 200
        mlflow = [pid for pid in group(server.pid) if b"python" in command_line(pid)]
        assert len(mlflow) == 2  # the CLI and one uvicorn worker, no job runners
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in its terminal
        server.wait(timeout=30)
        server.stdout.close()


def wait_for_line(process: subprocess.Popen, words: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError("make mlflow-server stopped before it was ready")
        if words in line:
            return line.strip()
    raise AssertionError(f"no {words!r} line within {timeout} s")


def group(leader: int) -> list[int]:
    """The processes of `leader`'s process group, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = re.sub(r"^.*\) ", "", stat).split()
            if int(fields[2]) == leader:  # pgrp, after the state and the parent
                found.append(int(entry.name))
    return found


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
