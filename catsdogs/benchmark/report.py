"""Targets of the performance issue, and the Markdown report."""


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
                "small photo end to end c=1, p50 (ms)",
                c1["p50_ms"],
                "<=",
                round(bare["one_thread"]["p50_ms"] + 5, 3),
            )
        )
    if c8:
        rows.append(
            (
                "throughput c=8 / bare all-cores throughput",
                round(c8["throughput_per_s"] / bare["all_cores"]["throughput_per_s"], 3),
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
    lines += [
        "",
        "## Bare ONNX Runtime inference (batch 1)",
        "",
        "| threads | p50 ms | p95 ms | per second |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {b['threads']} | {b['p50_ms']} | {b['p95_ms']} | {b['throughput_per_s']} |"
        for b in bare.values()
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
