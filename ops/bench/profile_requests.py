"""Where a served request's machine time goes: py-spy samples of waitress + PostgreSQL under load.

`make profile-requests` installs py-spy in a venv of its own (.venv-profiler) and runs this: a
measuring tool, not something the service or its tests need. At each concurrency level the
served process is sampled while the bench's load generator posts the small photo; each sample is
put in the first category its stack meets from the innermost frame out, and the server's CPU per
request is split in the samples' proportions (py-spy cannot tell a C extension's computing from its
waiting on a socket: the database client's share includes round trips). PostgreSQL's processes
and the load generator are measured from /proc. Prints a Markdown table for docs/performance.md.
"""

import argparse
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import endpoint, floor
from bench.client import UploadClient
from catsdogs.card import SHIPPED_MODEL

# (category, substrings of a frame's file); the first that matches from the innermost frame wins.
CATEGORIES = [
    ("the model (ONNX Runtime)", ("onnxruntime",)),
    ("decoding and resizing (Pillow, numpy)", ("PIL/", "catsdogs/serving/imaging", "numpy/")),
    ("logging", ("logging/", "catsdogs/logs")),
    ("metrics", ("prometheus_client", "prometheus_flask_exporter", "catsdogs/monitoring")),
    ("database client (SQLAlchemy, psycopg2)", ("sqlalchemy", "psycopg2", "catsdogs/store")),
    ("rate limiter", ("flask_limiter", "limits/")),
    ("multipart and form parsing", ("werkzeug/formparser", "werkzeug/sansio/multipart")),
    ("schemas and OpenAPI (marshmallow, smorest)", ("marshmallow", "flask_smorest", "webargs")),
    ("Flask and Werkzeug", ("flask/", "werkzeug/", "flask_")),
    ("waitress (HTTP)", ("waitress/",)),
    ("catsdogs, other", ("catsdogs/",)),
]
OTHER = "other (standard library, threads)"


def categorize(stack: str) -> str:
    """The category of one collapsed stack ("outer;...;inner"), innermost known frame first."""
    for frame in reversed(stack.split(";")):
        for name, markers in CATEGORIES:
            if any(marker in frame for marker in markers):
                return name
    return OTHER


def read_samples(raw: Path) -> Counter:
    """py-spy's raw (collapsed) output as samples per category."""
    samples: Counter = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[categorize(stack)] += int(count)
    return samples


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every PostgreSQL process on the machine."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                name = stat.read().split("(", 1)[1].split(")", 1)[0]
                stat.seek(0)
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if name.startswith("postgres"):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def profile_level(py_spy, url, token, photo, server, concurrency, seconds, workdir) -> dict:
    """Load the server at `concurrency` for `seconds` while py-spy samples it."""
    raw = Path(workdir) / f"c{concurrency}.txt"
    stop, counts, lock = threading.Event(), [0], threading.Lock()

    def client(_):
        with UploadClient(url, token) as upload:
            for _ in range(20):
                upload.post("/api/predict", photo)  # warm-up
            while not stop.is_set():
                _, status = upload.post("/api/predict", photo)
                with lock:
                    counts[0] += status == 200

    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(client, n) for n in range(concurrency)]
        try:
            time.sleep(2)
            with lock:
                counts[0] = 0
            cpu, postgres = endpoint._CpuMeter(server.pid), postgres_cpu_seconds()
            command = [py_spy, "record", "--pid", str(server.pid), "--duration", str(seconds)]
            command += ["--rate", "200", "--format", "raw", "--output", str(raw)]
            command += ["--nonblocking", "--subprocesses"]  # the workers, with WORKERS > 1
            subprocess.run(command, check=True, capture_output=True)
            spent, postgres = cpu.read(), postgres_cpu_seconds() - postgres
            with lock:
                answered = counts[0]
        finally:  # the clients stop even when py-spy fails, or the pool would wait forever
            stop.set()
        for future in futures:
            future.result()
    samples = read_samples(raw)
    total = sum(samples.values())
    server_ms = spent["server_s"] * 1000 / answered
    return {
        "concurrency": concurrency,
        "answered": answered,
        "per_second": round(answered / seconds, 1),
        "busy_percent": spent["busy_percent"],
        "server_ms": server_ms,
        "postgres_ms": postgres * 1000 / answered,
        "client_ms": spent["client_s"] * 1000 / answered,
        "machine_ms": machine_ms(spent["busy_percent"], seconds, answered),
        "categories": {name: server_ms * n / total for name, n in samples.most_common()},
    }


def machine_ms(busy_percent: float, seconds: float, answered: int, cores: int = 0) -> float:
    """Machine time per answer: cores x busy share x seconds / answers, in milliseconds."""
    cores = cores or len(os.sched_getaffinity(0))
    return cores * busy_percent / 100 * seconds * 1000 / answered


def markdown(levels: list[dict]) -> str:
    names = []
    for level in levels:
        names += [name for name in level["categories"] if name not in names]
    head = "| machine ms per request | " + " | ".join(f"c={x['concurrency']}" for x in levels)
    lines = [head + " |", "|---" * (len(levels) + 1) + "|"]

    def row(label, values):
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    for name in names:
        row(f"server: {name}", [f"{x['categories'].get(name, 0):.2f}" for x in levels])
    row("**server process, all**", [f"**{x['server_ms']:.2f}**" for x in levels])
    row("PostgreSQL server", [f"{x['postgres_ms']:.2f}" for x in levels])
    row("load generator", [f"{x['client_ms']:.2f}" for x in levels])
    row(
        "kernel and the rest (machine minus the above)",
        [
            f"{x['machine_ms'] - x['server_ms'] - x['postgres_ms'] - x['client_ms']:.2f}"
            for x in levels
        ],
    )
    row(
        "**machine (cores x busy share / answers)**", [f"**{x['machine_ms']:.2f}**" for x in levels]
    )
    row("answers per second", [f"{x['per_second']}" for x in levels])
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_requests", description=__doc__)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    endpoint.add_database_url(parser)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--seconds", type=int, default=20, help="sampled per level")
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw stacks in this folder")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    args = parser.parse_args(argv)
    if not shutil.which(args.py_spy):
        parser.exit(2, "py-spy not found: `pip install py-spy`, or --py-spy PATH\n")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    photo, token = floor.small_photo(), secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as instance:
        server, url = endpoint._start(args.model, args.database_url, token, instance, None)
        try:
            levels = [
                profile_level(
                    args.py_spy,
                    url,
                    token,
                    photo,
                    server,
                    int(c),
                    args.seconds,
                    args.keep or instance,
                )
                for c in args.concurrency.split(",")
            ]
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(markdown(levels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
