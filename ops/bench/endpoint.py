"""POST /api/predict end to end: waitress + PostgreSQL on loopback, several concurrency levels."""

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.client import UploadClient

ROOT = Path(__file__).resolve().parents[2]  # the checkout whose wsgi.py is measured


def add_database_url(parser: argparse.ArgumentParser) -> None:
    """The PostgreSQL database every bench tool serves from: --database-url, BENCH_DATABASE_URL."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
        ),
    )


def run(
    model: str,
    database_url: str,
    photos: dict[str, bytes],
    levels: list[int],
    count: int,
    threads: int | None,
    bare_window: Callable[[], dict],
    windows: int = 5,
) -> dict:
    """Start the service, load it at each concurrency level, report latency, errors and RSS.

    Each level runs in `windows` windows of requests, each after a short window of bare inference
    (`bare_window`), so that the service and the floor are measured side by side in time.
    `threads` None leaves waitress' thread count to serve's default.
    """
    token = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as instance:
        server, url = _start(model, database_url, token, instance, threads)
        try:
            results = {"waitress_threads": threads or "serve's default", "levels": {}}
            results["jpeg_12mp_c1"] = _merge(
                [_load(url, token, photos["jpeg_12mp"], 1, count // 4, server)]
            )
            for level in levels:
                bare, parts = [], []
                for _ in range(windows):
                    bare.append(bare_window())
                    parts.append(
                        _load(url, token, photos["small_photo"], level, count // windows, server)
                    )
                results["levels"][str(level)] = {
                    **_merge(parts),
                    "bare_windows": bare,
                    "rss_mb_after": _rss_mb(server.pid),
                }
            results["peak_rss_mb"] = _rss_mb(server.pid, "VmHWM")
            return results
        finally:
            server.terminate()
            server.wait(timeout=10)


def _merge(parts: list[dict]) -> dict:
    """One level's windows as one result: pooled latencies, the median window's throughput."""
    window_p50s = [round(statistics.median(part["latencies"]), 2) for part in parts]
    latencies = sorted(ms for part in parts for ms in part.pop("latencies"))
    count = len(latencies)
    requests = sum(part["requests"] for part in parts)

    def per_request(key: str) -> float:
        return round(sum(p[key] * p["requests"] for p in parts) / requests, 2)

    return {
        "concurrency": parts[0]["concurrency"],
        "requests": requests,
        "errors": sum(part["errors"] for part in parts),
        "throughput_per_s": round(statistics.median(p["throughput_per_s"] for p in parts), 1),
        "window_throughputs": [part["throughput_per_s"] for part in parts],
        "window_p50s": window_p50s,
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[int(0.95 * (count - 1))], 2),
        "p99_ms": round(latencies[int(0.99 * (count - 1))], 2),
        "server_cpu_ms_per_request": per_request("server_cpu_ms_per_request"),
        "client_cpu_ms_per_request": per_request("client_cpu_ms_per_request"),
        "machine_busy_percent": round(
            statistics.fmean(p["machine_busy_percent"] for p in parts), 1
        ),
    }


def _start(model, database_url, token, instance, threads, extra_env=None):
    port = _free_port()
    # One token from one address: the rate limits would measure themselves, not the service.
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_TOKEN": token,
        "MODEL_PATH": os.path.abspath(model),
        "SECRET_KEY": token,
        "LOG_LEVEL": "ERROR",
        "INSTANCE_PATH": instance,
        "RATELIMIT_ENABLED": "false",
        **(extra_env or {}),
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "catsdogs", "init-db"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "wsgi.py",
            "--host",
            "127.0.0.1",
            f"--port={port}",
            *([f"--threads={threads}"] if threads else []),
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # loading from a registry downloads and checks models
    try:
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    return server, url
            except (requests.ConnectionError, requests.Timeout):  # not listening, or busy starting
                time.sleep(0.1)
        raise RuntimeError("the service did not become healthy")
    except BaseException:
        server.terminate()  # never left serving after the bench has stopped
        raise


def _load(url, token, photo, concurrency, count, server) -> dict:
    local, clients = threading.local(), []

    def one(_):
        if not hasattr(local, "client"):
            local.client = UploadClient(url, token)
            clients.append(local.client)
        outcome = local.client.post("/api/predict", photo)
        finished.append(time.perf_counter())
        return outcome

    finished: list[float] = []  # when each request ended, for the sustained throughput
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(min(count, 4 * concurrency))))  # warm-up
        cpu = _CpuMeter(server.pid)
        finished.clear()
        started = time.perf_counter()
        outcomes = list(pool.map(one, range(count)))
        spent = cpu.read()
    for client in clients:
        client.close()
    return {
        "concurrency": concurrency,
        "requests": count,
        "errors": sum(status != 200 for _, status in outcomes),
        "throughput_per_s": round(sustained_throughput(started, finished, concurrency), 1),
        # Where the two cores went: CPU per request of the server and of this load generator,
        # and how busy the machine was (PostgreSQL and the kernel make up the rest).
        "server_cpu_ms_per_request": round(spent["server_s"] * 1000 / count, 2),
        "client_cpu_ms_per_request": round(spent["client_s"] * 1000 / count, 2),
        "machine_busy_percent": spent["busy_percent"],
        "latencies": [ms for ms, _ in outcomes],
    }


def sustained_throughput(started: float, finished: list[float], concurrency: int) -> float:
    """Requests per second while all `concurrency` clients were busy.

    The last requests of a run finish one by one with fewer and fewer clients left: that drain
    measures the load generator, not the service (with 200 requests at c=8, 3% of the time).
    """
    finished = sorted(finished)
    steady = len(finished) - concurrency
    if steady < concurrency:
        return len(finished) / (finished[-1] - started)
    return steady / (finished[steady - 1] - started)


class _CpuMeter:
    """CPU seconds of the server (its workers included) and of this process, and machine busy
    time, since creation."""

    def __init__(self, pid: int):
        self.pid = pid
        self.start = self._now()

    def _now(self):
        server = sum(_cpu_seconds(pid) for pid in _family(self.pid))
        with open(f"/proc/{self.pid}/stat") as stat:  # workers that exited, once reaped
            fields = stat.read().rsplit(")", 1)[1].split()
        server += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        return server, time.process_time(), sum(ticks), ticks[3] + ticks[4]  # idle + iowait

    def read(self) -> dict:
        server, client, total, idle = (b - a for a, b in zip(self.start, self._now(), strict=True))
        return {
            "server_s": server,
            "client_s": client,
            "busy_percent": round(100 * (1 - idle / total), 1) if total else None,
        }


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # it has just exited
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _family(pid: int) -> list[int]:
    """`pid` and its descendants: the served process and, with WORKERS > 1, its workers."""
    parents: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(parent, []).append(int(entry))
    family, waiting = [], [pid]
    while waiting:
        family.append(waiting.pop())
        waiting += parents.get(family[-1], [])
    return family


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The RSS (or its peak, VmHWM) of the server and its workers, summed: pages they share
    count once per process, so this is an upper bound."""
    total = 0
    for member in _family(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                for line in status:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1) if total else float("nan")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
