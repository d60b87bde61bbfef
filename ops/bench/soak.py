"""`make soak`: N clients for M minutes against waitress + PostgreSQL; latency, errors, RSS.

A mix of predictions (half with consent), feedback on them and statistics. Pass: zero errors
and server RSS growth under 10% after the warm-up. Not part of `make test`.
"""

import argparse
import json
import random
import secrets
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import endpoint, floor
from catsdogs.card import SHIPPED_MODEL

MIX = (("predict", 0.7), ("feedback", 0.2), ("statistics", 0.1))
# The limiter stays on (its storage is part of the RSS) but far above what the clients send;
# ERROR hides waitress' "task queue depth" warnings, expected when every client is busy.
SERVER_ENV = {
    "RATELIMIT_ENABLED": "true",
    "RATE_LIMIT_PER_TOKEN": "1000000/minute",
    "RATE_LIMIT_PER_ADDRESS": "1000000/minute",
    "LOG_LEVEL": "ERROR",
}


def client(url: str, token: str, photo: bytes, until: float, seed: int, log: list) -> None:
    """One user: classify, sometimes rate the result, sometimes read the statistics."""
    rng, consented = random.Random(seed), []
    kinds, weights = zip(*MIX, strict=True)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            if kind == "feedback" and not consented:
                kind = "predict"
            started = time.perf_counter()
            try:
                response = _call(session, url, kind, photo, rng, consented)
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            log.append((time.monotonic(), kind, (time.perf_counter() - started) * 1000, ok))


def _call(session, url, kind, photo, rng, consented):
    if kind == "statistics":
        return session.get(f"{url}/api/statistics", timeout=30)
    if kind == "feedback":
        return session.post(
            f"{url}/api/update-feedback",
            timeout=30,
            json={
                "feedback_id": rng.choice(consented),
                "user_feedback": rng.randint(0, 1),
                "user_comment": "soak test",
            },
        )
    consent = rng.random() < 0.5
    response = session.post(
        f"{url}/api/predict",
        timeout=30,
        data={"rgpd_consent": "true" if consent else "false"},
        files={"file": ("photo.jpg", photo, "image/jpeg")},
    )
    if consent and response.status_code == 200 and response.json()["id"] is not None:
        consented[:] = [*consented[-99:], response.json()["id"]]
    return response


def sample_rss(pid: int, started: float, until: float, every: float, samples: list) -> None:
    while time.monotonic() < until:
        samples.append((round(time.monotonic() - started, 1), endpoint._rss_mb(pid)))
        time.sleep(every)


def summary(log: list, samples: list, warmup: float, seconds: float) -> dict:
    """Throughput, percentiles and errors per kind, RSS over time and its growth."""

    def figures(rows):
        latencies = sorted(ms for _, _, ms, _ in rows)
        if not latencies:
            return {"requests": 0}

        def rank(q):
            return latencies[int(q * (len(latencies) - 1))]

        return {
            "requests": len(rows),
            "errors": sum(not ok for *_, ok in rows),
            "per_second": round(len(rows) / seconds, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(rank(0.95), 1),
            "p99_ms": round(rank(0.99), 1),
        }

    after_warmup = [rss for at, rss in samples if at >= warmup] or [samples[-1][1]]
    growth = (after_warmup[-1] - after_warmup[0]) / after_warmup[0]
    result = {
        "all": figures(log),
        **{kind: figures([r for r in log if r[1] == kind]) for kind, _ in MIX},
    }
    result.update(
        rss_mb=samples,
        rss_after_warmup_mb=after_warmup[0],
        rss_final_mb=after_warmup[-1],
        rss_growth=round(growth, 4),
    )
    result["passed"] = result["all"].get("errors", 1) == 0 and growth < 0.10
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--warmup-minutes",
        type=float,
        default=None,
        help="excluded from the RSS growth (default: a fifth, at most 2)",
    )
    parser.add_argument(
        "--threads", type=int, help="waitress threads (default: serve's, as make run)"
    )
    parser.add_argument("--sample-seconds", type=float, default=5)
    endpoint.add_database_url(parser)
    parser.add_argument("--out", default="reports/soak.json")
    args = parser.parse_args(argv)
    warmup = 60 * (
        args.warmup_minutes if args.warmup_minutes is not None else min(2, args.minutes / 5)
    )
    token, photo = secrets.token_urlsafe(16), floor.small_photo()
    with tempfile.TemporaryDirectory() as instance:
        server, url = endpoint._start(
            str(SHIPPED_MODEL), args.database_url, token, instance, args.threads, SERVER_ENV
        )
        try:
            log, samples = [], []
            started = time.monotonic()
            until = started + 60 * args.minutes
            threads = [
                threading.Thread(target=client, args=(url, token, photo, until, n, log))
                for n in range(args.clients)
            ]
            threads.append(
                threading.Thread(
                    target=sample_rss,
                    args=(server.pid, started, until, args.sample_seconds, samples),
                )
            )
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            samples.append((round(time.monotonic() - started, 1), endpoint._rss_mb(server.pid)))
        finally:
            server.terminate()
            server.wait(timeout=10)
    result = {
        "clients": args.clients,
        "minutes": args.minutes,
        "waitress_threads": args.threads or "serve's default",
        "warmup_seconds": warmup,
        **summary(log, samples, warmup, time.monotonic() - started),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    return 0 if result["passed"] else 1


def report(result: dict) -> str:
    """A short readable report."""
    verdict = "PASS" if result["passed"] else "FAIL"
    lines = [
        f"Soak: {result['clients']} clients, {result['minutes']} min ({verdict})",
        "",
        "| kind | requests | errors | per s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in ("all", *(kind for kind, _ in MIX)):
        f = result[kind]
        if f["requests"]:
            lines.append(
                f"| {kind} | {f['requests']} | {f['errors']} | {f['per_second']} | "
                f"{f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} |"
            )
    series = ", ".join(
        f"{at:g}s {rss}" for at, rss in result["rss_mb"][:: max(1, len(result["rss_mb"]) // 12)]
    )
    growth = (
        f"RSS after warm-up {result['rss_after_warmup_mb']} MB, final "
        f"{result['rss_final_mb']} MB, growth {result['rss_growth']:.1%} (limit 10%)"
    )
    lines += ["", f"RSS MB over time: {series}", growth]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
