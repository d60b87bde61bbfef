"""Replicas on this machine behind HAProxy (launch.py), from the command line.

    PYTHONPATH=ops python -m replicas serve --replicas 2        # until Ctrl-C
    PYTHONPATH=ops python -m replicas throughput --replicas 1   # then 2: docs/performance.md

DATABASE_URL (PostgreSQL), SECRET_KEY and API_TOKEN come from the environment or .env as for
`make run`; RATELIMIT_STORAGE_URI defaults to the local Redis, so limits are shared.
"""

import argparse
import io
import os
import secrets
import signal
import statistics
import tempfile
import threading
import time
from pathlib import Path

from dotenv import load_dotenv
from PIL import Image

from bench.client import UploadClient
from replicas.launch import Replicas

REDIS = "redis://127.0.0.1:6379/0"


def environment(args) -> dict:
    load_dotenv(override=False)
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgresql"):
        raise SystemExit("replicas: set DATABASE_URL to a PostgreSQL database they share")
    return {
        "DATABASE_URL": database,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(24),
        "API_TOKEN": os.environ.get("API_TOKEN") or secrets.token_hex(16),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or REDIS,
        # The throughput run measures serving, not throttling: limits counted but never reached.
        **({"RATE_LIMIT_PER_TOKEN": "1000000/minute", "RATE_LIMIT_PER_ADDRESS": "1000000/minute"}
           if args.command == "throughput" else {}),
    }  # fmt: skip


def photo() -> bytes:
    """A 500x375 JPEG, the size of the dataset's typical photo."""
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((500, 375)).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def throughput(url: str, token: str, clients: int, seconds: float) -> dict:
    data, latencies, failures, lock = photo(), [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        with UploadClient(url, token) as client:
            while time.monotonic() < deadline:
                elapsed, status = client.post("/api/predict", data)
                with lock:
                    if status == 200:
                        latencies.append(elapsed)
                    else:
                        failures.append(status)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    return {
        "requests_per_second": len(latencies) / took,
        "median_ms": statistics.median(latencies) if latencies else None,
        "failures": len(failures),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m replicas")
    parser.add_argument("command", choices=["serve", "throughput"])
    parser.add_argument("--replicas", type=int, choices=[1, 2], default=2)
    parser.add_argument("--port", type=int, default=8000, help="the balancer's port")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per replica")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    env = environment(args)
    ports = [args.port + 1 + i for i in range(args.replicas)]
    with tempfile.TemporaryDirectory() as folder:
        with Replicas(env, ports, args.port, Path(folder), threads=args.threads) as group:
            if args.command == "serve":
                print(f"{args.replicas} replica(s) behind HAProxy on {group.url}; Ctrl-C stops")
                signal.sigwait({signal.SIGINT, signal.SIGTERM})
                return 0
            throughput(group.url, env["API_TOKEN"], args.clients, 5)  # warm-up
            result = throughput(group.url, env["API_TOKEN"], args.clients, args.seconds)
            print(
                f"replicas={args.replicas} threads={args.threads} clients={args.clients} "
                f"seconds={args.seconds:.0f} requests/s={result['requests_per_second']:.1f} "
                f"median_ms={result['median_ms']:.0f} failures={result['failures']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
