"""Loopback ports and a waitress server in a thread, shared by the tests that need a real server.

Each group of tests listens in its own port range so that runs on one machine do not collide.
"""

import contextlib
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from waitress import create_server, wasyncore

SYSTEM_RANDOM = random.SystemRandom()
PORTS = (16000, 16999)  # hardening tests; the browser tests use 17000-17999, monitoring 18000-18999


def free_port(low: int = PORTS[0], high: int = PORTS[1]) -> int:
    """A loopback port in [low, high] that nothing is bound to right now."""
    # Not the `random` that pytest-randomly seeds alike in every xdist worker: workers drawing
    # the same ports in step would race for them.
    for port in SYSTEM_RANDOM.sample(range(low, high + 1), high - low + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port between {low} and {high}")


@contextlib.contextmanager
def serve(app, ports: tuple[int, int] = PORTS, threads: int = 4, **adjustments):
    """Yield the base URL of `app` served by waitress, with waitress' default `ident`."""
    server = create_server(
        app, host="127.0.0.1", port=free_port(*ports), threads=threads, **adjustments
    )
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Stop in the loop's own thread (closing sockets under its select() fails with EBADF),
        # and close keep-alive connections too: the loop ends only when its map is empty.
        server.trigger.pull_trigger(lambda: _empty_map(server))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        server.trigger.close()


def _empty_map(server) -> None:
    """Close every channel but leave the trigger's pipe open, only out of the map.

    The thunk may run before `pull_trigger` has written its wake-up byte (a worker's own pull can
    wake the loop in between), so closing the pipe here made that write fail with EBADF. The
    server's own close() closes the pipe too: its listening socket is closed without it.
    """
    server.trigger.del_channel()
    for dispatcher in list(server._map.values()):
        if dispatcher is server:
            wasyncore.dispatcher.close(server)
        else:
            dispatcher.close()
    server._map.clear()


def wait_until_answering(
    url: str, process: subprocess.Popen, output: Callable[[], str], seconds: float = 30
) -> None:
    """Wait until the served process at `url` answers /health; fail with its output if it
    exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/health", timeout=1)
            return
        except requests.ConnectionError:
            assert process.poll() is None, output()
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {seconds} s: {output()}")


def served_environment(instance: Path, token: str, **settings: str) -> dict[str, str]:
    """The environment of a `python wsgi.py` on SQLite in `instance` answering `token`, with
    `settings` on top, its database made first (`flask init-db`)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{instance / 'catsdogs.db'}",
        "INSTANCE_PATH": str(instance),
        "API_TOKEN": token,
        "SECRET_KEY": f"{token}-secret-key-of-some-length",
        "DATABASE_CHECK_SECONDS": "0",
        **settings,
    }
    flask = [sys.executable, "-m", "flask", "--app", "catsdogs"]
    subprocess.run([*flask, "init-db"], env=env, check=True, capture_output=True)
    return env


@contextlib.contextmanager
def served_process(instance: Path, token: str, *arguments: str) -> Iterator[tuple[str, int]]:
    """`python wsgi.py` as `make run` and the image start it, on SQLite in `instance`, answering
    `token`; yield its URL and pid, then stop it."""
    env = served_environment(instance, token)
    port = free_port()
    wsgi = str(Path(__file__).resolve().parents[1] / "wsgi.py")
    command = [sys.executable, wsgi, "--port", str(port), *arguments]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url, server, server.stderr.read, seconds=30)
        yield url, server.pid
    finally:
        server.terminate()
        server.communicate(timeout=10)
