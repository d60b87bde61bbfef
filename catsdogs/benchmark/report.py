"""Targets of the performance issue, and the Markdown report."""

import statistics


def pair_ratios(level: dict) -> list[float]:
    """Service throughput / the bare all-cores window measured just before, per window.

    Each pair is measured within a few seconds, so a slow spell of the machine (on shared
    virtual machines the bare all-cores figure alone moves by 40%) counts on both sides.
    """
    pairs = zip(level["window_throughputs"], level["bare_all_cores_windows"], strict=True)
    return [round(service / bare, 3) for service, bare in pairs]


def overheads(level: dict) -> list[float]:
    """Service p50 minus the bare one-thread p50 measured just before, per window (ms)."""
    pairs = zip(level["window_p50s"], level["bare_one_thread_p50_windows"], strict=True)
    return [round(service - bare, 2) for service, bare in pairs]


def targets(results: dict) -> list[dict]:
    """Each target with its measured value and whether it is met."""
    bare = results["bare_inference"]
    service = results["service"]
    c1 = service["levels"].get("1")
    c8 = service["levels"].get("8")
    rows = [
        ("bare inference, one thread, p50 (ms)", bare["one_thread"]["p50_ms"], "<=", 10.0),
        ("server peak RSS (MB)", service["peak_rss_mb"], "<=", 400.0),
        ("12 MP JPEG end to end, p50 (ms)", service["jpeg_12mp_c1"]["p50_ms"], "<=", 60.0),
    ]
    if c1:
        rows.append(
            (
                "small photo end to end c=1, p50 minus bare one-thread p50 "
                "(ms, median of paired windows)",
                round(statistics.median(overheads(c1)), 2),
                "<=",
                5.0,
            )
        )
    if c8:
        rows.append(
            (
                "throughput c=8 / bare all-cores throughput (median of paired windows)",
                round(statistics.median(pair_ratios(c8)), 3),
                ">=",
                0.70,
            )
        )
    errors = sum(level["errors"] for level in service["levels"].values())
    rows.append(("errors at all levels", errors, "<=", 0))
    return [
        {
            "name": name,
            "value": value,
            "target": f"{op} {limit}",
            "met": value <= limit if op == "<=" else value >= limit,
        }
        for name, value, op, limit in rows
    ]


def markdown(results: dict) -> str:
    """A readable report of one benchmark run."""
    bare, pipe, service = results["bare_inference"], results["pipeline"], results["service"]
    lines = [
        f"# Benchmark, {results['date']} ({results['machine']})",
        "",
        "## Targets",
        "",
        "| target | measured | goal | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t['name']} | {t['value']} | {t['target']} | {'yes' if t['met'] else 'NO'} |"
        for t in results["targets"]
    ]
    one, every, side = bare["one_thread"], bare["all_cores"], bare["side_by_side"]
    lines += [
        "",
        "## Bare ONNX Runtime inference (batch 1)",
        "",
        "| session | p50 ms | p95 ms | per second |",
        "|---|---|---|---|",
        f"| one thread | {one['p50_ms']} | {one['p95_ms']} | {one['throughput_per_s']} |",
        f"| all {every['threads']} cores | {every['p50_ms']} | {every['p95_ms']} | "
        f"{every['throughput_per_s']} |",
        "",
        f"All-cores throughput per window of 100 runs: {_windows(every['window_throughputs'])}; "
        f"between the service's windows: {_windows(_service_bare_windows(service))}.",
        "",
        f"Stricter comparison: one-thread runs on all {side['threads']} cores at once, as the "
        f"service runs the model: {side['throughput_per_s']}/s. The c=8 throughput is "
        f"{_c8_share(service, side['throughput_per_s'])} of that.",
    ]
    lines += [
        "",
        "## In-process pipeline (bytes to prediction)",
        "",
        "| input | bytes | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    sizes = {
        "small_photo": results["inputs"]["small_photo_bytes"],
        "jpeg_12mp": results["inputs"]["jpeg_12mp_bytes"],
    }
    lines += [
        f"| {name} | {sizes[name]} | {t['p50_ms']} | {t['p95_ms']} |" for name, t in pipe.items()
    ]
    lines += [
        "",
        f"## POST /api/predict through waitress ({service['waitress_threads']} "
        "threads) with PostgreSQL",
        "",
        "Per second: the median of 5 windows, each measured just after a short window of bare "
        "inference. At c=1, service p50 minus bare one-thread p50 per pair (ms): "
        f"{_c1_pairs(service)}. At c=8, service / bare all-cores per pair: {_c8_pairs(service)}.",
        "",
        "| concurrency | requests | errors | per second | p50 ms | p95 ms | p99 ms | RSS MB "
        "| server CPU ms/req | load generator CPU ms/req | machine busy % |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level in service["levels"].values():
        lines.append(
            f"| {level['concurrency']} | {level['requests']} | {level['errors']} | "
            f"{level['throughput_per_s']} | {level['p50_ms']} | {level['p95_ms']} | "
            f"{level['p99_ms']} | {level['rss_mb_after']} | "
            f"{level['server_cpu_ms_per_request']} | {level['client_cpu_ms_per_request']} | "
            f"{level['machine_busy_percent']} |"
        )
    big = service["jpeg_12mp_c1"]
    lines += [
        "",
        f"12 MP JPEG, concurrency 1: p50 {big['p50_ms']} ms, p95 {big['p95_ms']} ms, "
        f"{big['errors']} errors. Peak server RSS {service['peak_rss_mb']} MB.",
        "",
    ]
    return "\n".join(lines)


def _windows(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values) + f" (median {statistics.median(values):g})"


def _c1_pairs(service: dict) -> str:
    c1 = service["levels"].get("1")
    return ", ".join(str(ms) for ms in overheads(c1)) if c1 else "not measured"


def _c8_pairs(service: dict) -> str:
    c8 = service["levels"].get("8")
    return ", ".join(str(r) for r in pair_ratios(c8)) if c8 else "not measured"


def _service_bare_windows(service: dict) -> list[float]:
    return [w for level in service["levels"].values() for w in level["bare_all_cores_windows"]]


def _c8_share(service: dict, per_second: float) -> str:
    c8 = service["levels"].get("8")
    return f"{c8['throughput_per_s'] / per_second:.3f}" if c8 else "not measured"
