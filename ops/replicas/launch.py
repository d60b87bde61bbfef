"""Replicas of the service on one machine: N waitress processes sharing one PostgreSQL database
and one Redis, behind HAProxy (haproxy.cfg). Used by the two-replica tests (tests/delivery) and
by `make replicas` (a throughput run: `python -m replicas.throughput`).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
HAPROXY_CONFIG = HERE / "haproxy.cfg"


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {seconds} s:\n{log.read_text()[-3000:]}")


class Replicas:
    """Start with `with Replicas(...) as group:`; group.url is the balancer's address."""

    def __init__(self, environment: dict, ports: list[int], balancer_port: int, folder: Path,
                 threads: int = 4):  # fmt: skip
        # HAProxy is the one hop in front: each client has its own per-address limit.
        self.environment = {**os.environ, "TRUSTED_PROXY_HOPS": "1", **environment}
        self.ports, self.balancer_port, self.folder = ports, balancer_port, folder
        self.threads = threads
        self.url = f"http://127.0.0.1:{balancer_port}"
        self.processes: list[subprocess.Popen] = []
        self.balancer: subprocess.Popen | None = None

    def __enter__(self) -> "Replicas":
        try:
            self.migrate()
            for index in range(len(self.ports)):
                self.start(index)
            self.start_balancer()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in [*self.processes, self.balancer]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.processes, self.balancer]:
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()

    def migrate(self) -> None:
        """Once for all replicas, as a deploy does before starting them."""
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "catsdogs", "init-db"],
            env=self.instance_environment(0), cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip

    def instance_environment(self, index: int) -> dict:
        # Each replica has its own instance folder (its spool), as each pod has.
        instance = self.folder / f"replica{index + 1}"
        instance.mkdir(parents=True, exist_ok=True)
        return {**self.environment, "INSTANCE_PATH": str(instance)}

    def start(self, index: int) -> None:
        log = self.folder / f"replica{index + 1}.log"
        with log.open("a") as output:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "wsgi.py"), "--port", str(self.ports[index]),
                 "--threads", str(self.threads)],
                env=self.instance_environment(index), cwd=ROOT, stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        if index < len(self.processes):
            self.processes[index] = process
        else:
            self.processes.append(process)
        wait_for(f"http://127.0.0.1:{self.ports[index]}/health", process, log)
        if self.balancer is not None:
            self.wait_in_rotation(index)

    def start_balancer(self) -> None:
        log = self.folder / "haproxy.log"
        env = {"CATSDOGS_BIND": f"127.0.0.1:{self.balancer_port}"}
        for index, port in enumerate(self.ports, 1):
            env[f"REPLICA_{index}"] = f"127.0.0.1:{port}"
        # One replica: the second server line points at the first's address too.
        env.setdefault("REPLICA_2", env["REPLICA_1"])
        with log.open("a") as output:
            self.balancer = subprocess.Popen(
                ["haproxy", "-db", "-f", str(HAPROXY_CONFIG)],
                env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(f"{self.url}/health", self.balancer, log)
        for index in range(len(self.ports)):
            self.wait_in_rotation(index)

    def wait_in_rotation(self, index: int, seconds: float = 30) -> None:
        """Until the balancer sends requests to replica `index` (its checks passed again)."""
        name = f"replica{index + 1}"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/health", timeout=2).headers["X-Served-By"] == name:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the balancer did not send to {name} within {seconds} s")

    def stop(self, index: int, how: int = signal.SIGTERM) -> subprocess.Popen:
        process = self.processes[index]
        process.send_signal(how)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()
