"""Targets of the performance issue, machine time per request, and the Markdown report.

Service and model are compared in pairs: each window of service load with the bare inference
measured just before it, so that a slow spell of a shared machine counts on both sides.
"""

import statistics

from bench import trust

OUTSIDE_MODEL_LEVELS = ("1", "8")  # clients


def pair_ratios(level: dict) -> list[float]:
    """Per window: service throughput / the bare all-cores floor measured just before."""
    pairs = zip(level["window_throughputs"], level["bare_windows"], strict=True)
    return [round(service / bare["all_cores_per_s"], 3) for service, bare in pairs]


def overheads(level: dict) -> list[float]:
    """Per window: service p50 minus the bare one-thread p50 measured just before (ms)."""
    pairs = zip(level["window_p50s"], level["bare_windows"], strict=True)
    return [round(service - bare["one_thread_p50_ms"], 2) for service, bare in pairs]


def machine_time(level: dict, cores: int) -> dict:
    """Machine time per request at one level: in all, the model's share, and outside the model.

    Each request costs cores x busy share / throughput of machine time. The model's share is
    what one inference costs on the all-cores floor measured beside the level's windows; outside
    the model are HTTP, Flask, decoding, resizing, the database, the kernel and the load generator.
    """
    floor = statistics.median(bare["all_cores_per_s"] for bare in level["bare_windows"])
    busy = level["machine_busy_percent"] / 100
    machine = cores * busy * 1000 / level["throughput_per_s"]
    model = cores * 1000 / floor
    return {
        "machine_ms_per_request": round(machine, 2),
        "model_ms_per_request": round(model, 2),
        "outside_model_ms_per_request": round(machine - model, 2),
    }


def outside_model(results: dict) -> dict[str, dict]:
    """`machine_time` at 1 and 8 clients, for the levels that were run."""
    cores = results["bare_inference"]["all_cores"]["threads"]
    levels = results["service"]["levels"]
    return {
        clients: machine_time(levels[clients], cores)
        for clients in OUTSIDE_MODEL_LEVELS
        if clients in levels
    }


def model_summary(model: dict, results: dict) -> dict:
    """One model's row of the comparison: floor, end to end at 1 and 8 clients, memory."""
    levels = results["service"]["levels"]
    row = {
        **model,
        "one_thread_p50_ms": results["bare_inference"]["one_thread"]["p50_ms"],
        "peak_rss_mb": results["service"]["peak_rss_mb"],
    }
    for clients in ("1", "8"):
        level = levels.get(clients, {})
        row[f"c{clients}_per_s"] = level.get("throughput_per_s")
        row[f"c{clients}_p50_ms"] = level.get("p50_ms")
    return row


def targets(results: dict) -> list[dict]:
    """Each target with its measured value and whether it is met."""
    bare = results["bare_inference"]
    service = results["service"]
    c1 = service["levels"].get("1")
    rows = [
        ("bare inference, one thread, p50 (ms)", bare["one_thread"]["p50_ms"], "<=", 10.0),
        ("all serving processes, peak RSS (MB)", service["peak_rss_mb"], "<=", 500.0),
        ("12 MP JPEG end to end, p50 (ms)", service["jpeg_12mp_c1"]["p50_ms"], "<=", 60.0),
    ]
    if c1:
        rows.append(
            (
                "small photo c=1: end-to-end p50 minus bare one-thread p50 (ms)",
                round(statistics.median(overheads(c1)), 2),
                "<=",
                3.0,
            )
        )
    c8 = service["levels"].get("8")
    if c8:
        rows.append(
            (
                "c=8 throughput / all-cores floor, median of windows",
                round(statistics.median(pair_ratios(c8)), 3),
                ">=",
                0.80,
            )
        )
        cores = results["bare_inference"]["all_cores"]["threads"]
        rows.append(
            (
                "machine time outside the model at c=8 (ms per request)",
                machine_time(c8, cores)["outside_model_ms_per_request"],
                "<=",
                2.0,
            )
        )
    if "model_health" in results:
        rows.append(
            (
                "model-health statistics and recording per request, mean CPU (ms)",
                results["model_health"]["per_request"]["cpu_mean_ms"],
                "<=",
                0.3,
            )
        )
    if "trust" in results:
        extra = results["trust"]
        rows.append(
            ("detector and maps, extra per request (ms)", extra["detector_extra_ms"], "<=", 0.5)
        )
        rows.append(
            ("heatmap for explain=true, p50 (ms)", extra["explanation"]["p50_ms"], "<=", 1.0)
        )
    errors = sum(level["errors"] for level in service["levels"].values())
    rows.append(("errors at all levels", errors, "<=", 0))
    shadow = results.get("shadow", {})
    if "ratio" in shadow:
        rows.append(("c=1 p50 with shadow at 100% / shadow off", shadow["ratio"], "<=", 1.10))
        rows.append(
            ("all serving processes with two models, RSS (MB)", shadow["peak_rss_mb"], "<=", 500.0)
        )
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
    lines = [f"# Benchmark, {results['date']} ({results['machine']})", "", "## Targets", ""]
    lines += [
        "| target | measured | goal | met |",
        "|---|---|---|---|",
        *(
            f"| {t['name']} | {t['value']} | {t['target']} | {'yes' if t['met'] else 'NO'} |"
            for t in results["targets"]
        ),
        "",
        "The c=1 target is a median over 5 windows; each window of service load follows a "
        "short measure of bare inference (one-thread p50; all-cores throughput, the better of "
        "one session with a thread per core and one-thread runs side by side).",
    ]
    return "\n".join(
        lines
        + _outside_model(results)
        + _models(results)
        + _bare(results)
        + _pipeline(results)
        + _model_health(results)
        + trust.markdown(results.get("trust"))
        + _service(results["service"], results.get("workers", 1))
        + _shadow(results.get("shadow"))
        + [""]
    )


def _outside_model(results: dict) -> list[str]:
    figures = outside_model(results)
    if not figures:
        return []
    return [
        "",
        "## Machine time per request outside the model",
        "",
        "Machine time per request is cores x busy share / throughput; the model's share is one "
        "inference on the all-cores floor (median of the level's windows); outside the model is "
        "the rest: HTTP, Flask, decoding, resizing, the database, the kernel and the load "
        "generator. The c=8 figure has a target (issue 30).",
        "",
        "| clients | machine ms/request | model ms/request | outside the model ms/request |",
        "|---|---|---|---|",
        *(
            f"| {clients} | {f['machine_ms_per_request']} | {f['model_ms_per_request']} | "
            f"{f['outside_model_ms_per_request']} |"
            for clients, f in figures.items()
        ),
    ]


def _models(results: dict) -> list[str]:
    models = results.get("models", [])
    if len(models) < 2:  # only with --also
        return []
    return [
        "",
        "## Models compared",
        "",
        "Each model measured in turn on this machine, with the same photos and database: the "
        "first is the one the targets judge.",
        "",
        "| model | version | file MB | bare one-thread p50 ms | c=1 per second | c=1 p50 ms "
        "| c=8 per second | c=8 p50 ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {m['file']} | {m['version']} | {m['file_mb']} | {m['one_thread_p50_ms']} | "
            f"{m['c1_per_s']} | {m['c1_p50_ms']} | {m['c8_per_s']} | {m['c8_p50_ms']} | "
            f"{m['peak_rss_mb']} |"
            for m in models
        ),
    ]


def _bare(results: dict) -> list[str]:
    bare = results["bare_inference"]
    one, every, side = bare["one_thread"], bare["all_cores"], bare["side_by_side"]
    return [
        "",
        "## Bare ONNX Runtime inference (batch 1)",
        "",
        "| session | p50 ms | p95 ms | per second |",
        "|---|---|---|---|",
        f"| one thread | {one['p50_ms']} | {one['p95_ms']} | {one['throughput_per_s']} |",
        f"| one session, {every['threads']} threads | {every['p50_ms']} | {every['p95_ms']} | "
        f"{every['throughput_per_s']} |",
        f"| {side['threads']} one-thread runs side by side | | | {side['throughput_per_s']} |",
    ]


def _pipeline(results: dict) -> list[str]:
    sizes = {
        "small_photo": results["inputs"]["small_photo_bytes"],
        "jpeg_12mp": results["inputs"]["jpeg_12mp_bytes"],
    }
    return [
        "",
        "## In-process pipeline (bytes to prediction)",
        "",
        "| input | bytes | p50 ms | p95 ms |",
        "|---|---|---|---|",
        *(
            f"| {name} | {sizes[name]} | {t['p50_ms']} | {t['p95_ms']} |"
            for name, t in results["pipeline"].items()
        ),
    ]


def _service(service: dict, workers: int) -> list[str]:
    lines = [
        "",
        f"## POST /api/predict through waitress ({workers} worker{'s' * (workers > 1)}, "
        f"threads: {service['waitress_threads']}) with PostgreSQL",
        "",
        "Per second: the median window.",
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
    ]
    for name, level in (("1", service["levels"].get("1")), ("8", service["levels"].get("8"))):
        if level:
            lines += ["", f"Windows at c={name}:", "", *_windows(level)]
    return lines


def _windows(level: dict) -> list[str]:
    rows = [
        "| window | service p50 ms | per second | bare one-thread p50 ms | one session, "
        "all cores /s | side by side /s | service / floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, (p50, per_second, bare, ratio) in enumerate(
        zip(
            level["window_p50s"],
            level["window_throughputs"],
            level["bare_windows"],
            pair_ratios(level),
            strict=True,
        ),
        start=1,
    ):
        rows.append(
            f"| {number} | {p50} | {per_second} | {bare['one_thread_p50_ms']} | "
            f"{bare['intra_op_per_s']} | {bare['side_by_side_per_s']} | {ratio} |"
        )
    return rows


def _shadow(shadow: dict | None) -> list[str]:
    if not shadow:
        return []
    lines = ["", "## Shadow traffic", ""]
    if "skipped" in shadow:
        return lines + [f"Not measured: {shadow['skipped']}."]
    return lines + [
        "The champion's p50 at one client, with a challenger classifying every photo "
        "(SHADOW_SAMPLE=1) and with none, in alternating windows of "
        f"{shadow['requests_per_window']} requests on a real MLflow registry.",
        "",
        "| shadow | window p50s (ms) | p50 (ms) |",
        "|---|---|---|",
        f"| off | {shadow['window_p50s_ms']['off']} | {shadow['p50_off_ms']} |",
        f"| on, 100% | {shadow['window_p50s_ms']['on']} | {shadow['p50_on_ms']} |",
        "",
        f"Ratio {shadow['ratio']}; RSS with both models loaded {shadow['rss_mb_two_models']} MB "
        f"(peak {shadow['peak_rss_mb']} MB).",
    ]


def _model_health(results: dict) -> list[str]:
    health = results.get("model_health")
    if not health:
        return []
    names = {
        "describe_image": "the photo's statistics (every 4th pixel of the 224 px input)",
        "observe": "recording: histograms, counters and the drift window",
        "per_request": "both, as each prediction pays them",
        "per_scrape": "the metrics text with the drift scores (once per scrape)",
    }
    return [
        "",
        "## Model health",
        "",
        "Wall time, and the CPU time of the measuring thread (a shared machine's other "
        "processes inflate the first, not the second).",
        "",
        "| step | p50 ms | p95 ms | mean ms | mean CPU ms |",
        "|---|---|---|---|---|",
        *(
            f"| {names[key]} | {t['p50_ms']} | {t['p95_ms']} | {t['mean_ms']} | "
            f"{t['cpu_mean_ms']} |"
            for key, t in health.items()
        ),
    ]
