"""`make bench`: the model's floor, the in-process pipeline, and the service end to end.

Writes reports/bench.json and reports/bench.md. Loopback only; bounded in requests and time.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
from collections.abc import Iterator
from pathlib import Path

from bench import endpoint, floor, health, precision, report, shadow, trust
from catsdogs.card import SHIPPED_MODEL, ModelCard


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    endpoint.add_database_url(parser)
    parser.add_argument("--requests", type=int, default=1000, help="per concurrency level")
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument(
        "--threads", type=int, help="waitress threads (default: serve's, as make run)"
    )
    parser.add_argument(
        "--compare",
        nargs="*",
        metavar="MODEL",
        help="only compare --model with these models (default: its INT8 copy beside it): "
        "one-thread p50 and the cards' accuracies, into reports/bench.md's section; nothing else "
        "is run",
    )
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="MODEL",
        help="also measure this model (bare, and end to end at 1 and 8 clients); repeatable",
    )
    parser.add_argument(
        "--base-model",
        default=str(trust.PREVIOUS),
        help="the model --model extends, for the cost of its detector and heatmap",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="serving processes (WORKERS; default: one per core); more than one keeps the rate "
        "limits in Redis at BENCH_REDIS_URL, as `python wsgi.py` requires",
    )
    parser.add_argument("--out", default="reports")
    args = parser.parse_args(argv)
    if args.compare is not None:
        return compare_models(
            [args.model, *(args.compare or [precision.int8_copy(args.model)])], args
        )
    with served_by_workers(args.workers):
        return measure(args)


@contextlib.contextmanager
def served_by_workers(workers: int) -> Iterator[None]:
    """WORKERS (and, for several, the limits in Redis) for every process the bench serves, as a
    deployment's environment would say; os.environ as it was afterwards."""
    before = os.environ.copy()
    os.environ["WORKERS"] = str(workers)
    if workers > 1:
        redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
        os.environ["RATELIMIT_STORAGE_URI"] = redis
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


def measure(args: argparse.Namespace) -> int:
    """The whole benchmark: writes reports/bench.json and bench.md; 0 if every target is met."""
    photo = floor.small_photo()
    big = floor.twelve_megapixel_jpeg()
    bare = floor.Floor(args.model)
    results = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "workers": args.workers,
        "bare_inference": bare.measure(),
        "pipeline": floor.pipeline(args.model, {"small_photo": photo, "jpeg_12mp": big}),
        "inputs": {"small_photo_bytes": len(photo), "jpeg_12mp_bytes": len(big)},
        "model_health": health.measure(args.model, photo),
    }
    if ModelCard.for_model(args.model).neither_output and Path(args.base_model).is_file():
        results["trust"] = trust.measure(args.model, args.base_model, photo)
    results["service"] = endpoint.run(
        args.model,
        args.database_url,
        {"small_photo": photo, "jpeg_12mp": big},
        [int(c) for c in args.concurrency.split(",")],
        args.requests,
        args.threads,
        bare.window,
    )
    results["shadow"] = shadow.run(args.model, args.database_url, photo)
    results["models"] = [report.model_summary(_describe(args.model), results)]
    for other in args.also:
        results["models"].append(compare(other, args, {"small_photo": photo, "jpeg_12mp": big}))
    results["targets"] = report.targets(results)
    results["outside_model"] = report.outside_model(results)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    compared = precision.section_of(out / "bench.md")  # measured apart, by --compare
    (out / "bench.md").write_text(report.markdown(results))
    if compared:
        precision.write_section(out / "bench.md", compared)
    print(report.markdown(results))
    return 0 if all(t["met"] for t in results["targets"]) else 1


def compare(model: str, args, photos: dict[str, bytes]) -> dict:
    """Another model on the same machine and database: its floor and the service around it."""
    bare = floor.Floor(model)
    measured = {"bare_inference": bare.measure()}
    measured["service"] = endpoint.run(
        model, args.database_url, photos, [1, 8], args.requests, args.threads, bare.window
    )
    return report.model_summary(_describe(model), measured)


def compare_models(models: list[str], args) -> int:
    """Measure the models alone, one thread each, and rewrite that section of reports/bench.md."""
    section = precision.markdown(precision.measure(models))
    precision.write_section(Path(args.out) / "bench.md", section)
    print("\n".join(section))
    return 0


def _describe(model: str) -> dict:
    return {
        "file": Path(model).name,
        "version": ModelCard.for_model(model).model_version,
        "file_mb": round(Path(model).stat().st_size / 1e6, 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
