"""`make bench`'s report: which figures the targets compare, and how windows are combined."""

from catsdogs.benchmark import endpoint, report


def window(per_second: float, latencies: list[float], errors: int = 0) -> dict:
    return {
        "concurrency": 8,
        "requests": len(latencies),
        "errors": errors,
        "throughput_per_s": per_second,
        "latencies": latencies,
        "server_cpu_ms_per_request": 10.0,
        "client_cpu_ms_per_request": 0.2,
        "machine_busy_percent": 90.0,
    }


def level(
    services: list[float], bares: list[float], p50s: list[float] | None = None, bare_p50=7.0
) -> dict:
    p50s = p50s or [50.0] * len(services)
    merged = endpoint._merge([window(s, [p50] * 10) for s, p50 in zip(services, p50s, strict=True)])
    bare_windows = [
        {
            "one_thread_p50_ms": bare_p50,
            "intra_op_per_s": per_second * 0.8,
            "side_by_side_per_s": per_second,
            "all_cores_per_s": per_second,
        }
        for per_second in bares
    ]
    return {**merged, "bare_windows": bare_windows, "rss_mb_after": 200.0}


def results(c8: dict, c1: dict | None = None) -> dict:
    return {
        "date": "2026-11-29T00:00:00+00:00",
        "machine": "x86_64, 2 cores",
        "inputs": {"small_photo_bytes": 7739, "jpeg_12mp_bytes": 2_500_000},
        "pipeline": {"small_photo": {"p50_ms": 8.0, "p95_ms": 9.0}},
        "bare_inference": {
            "one_thread": {"p50_ms": 7.0, "p95_ms": 8.0, "throughput_per_s": 140.0},
            "all_cores": {
                "threads": 2,
                "p50_ms": 4.0,
                "p95_ms": 5.0,
                "throughput_per_s": 240.0,
            },
            "side_by_side": {"threads": 2, "throughput_per_s": 280.0},
        },
        "service": {
            "waitress_threads": 4,
            "levels": {"1": c1 or level([90.0], [240.0], [11.0]), "8": c8},
            "jpeg_12mp_c1": {"p50_ms": 45.0, "p95_ms": 48.0, "errors": 0},
            "peak_rss_mb": 210.0,
        },
    }


def target(figures: dict, name_start: str) -> dict:
    (found,) = [t for t in report.targets(figures) if t["name"].startswith(name_start)]
    return found


def test_the_throughput_ratio_is_the_median_of_service_over_the_bare_window_before_it():
    c8 = level(services=[170.0, 100.0, 180.0], bares=[240.0, 120.0, 300.0])
    ratio = target(results(c8), "throughput c=8")
    assert ratio["value"] == 0.708  # pairs 0.708, 0.833, 0.6
    assert ratio["met"]


def test_a_slow_spell_for_the_service_alone_fails_the_throughput_target():
    c8 = level(services=[120.0, 110.0, 180.0], bares=[240.0, 240.0, 240.0])
    assert not target(results(c8), "throughput c=8")["met"]


def test_small_photo_latency_is_held_to_the_bare_one_thread_p50_before_it_plus_five_ms():
    c8 = level([170.0], [240.0])
    on_time = level([90.0] * 3, [240.0] * 3, p50s=[12.0, 11.0, 15.0], bare_p50=7.0)
    late = level([90.0] * 3, [240.0] * 3, p50s=[12.1, 11.0, 15.0], bare_p50=7.0)
    assert target(results(c8, on_time), "small photo")["value"] == 5.0
    assert target(results(c8, on_time), "small photo")["met"]
    assert not target(results(c8, late), "small photo")["met"]


def test_the_c8_budget_splits_machine_time_per_request_between_the_model_and_the_rest():
    c8 = level(services=[160.0, 100.0, 180.0], bares=[240.0, 120.0, 300.0])  # 90% busy
    budget = report.cpu_budget(results(c8))
    # 2 cores x 0.9 / 160 per s = 11.25 ms; one inference on a 240/s floor = 8.33 ms;
    # at 0.70 of that floor a request may cost 2 / 168 s = 11.90 ms, so 3.57 ms besides the model.
    assert budget == {
        "machine_ms_per_request": 11.25,
        "model_ms_per_request": 8.33,
        "rest_ms_per_request": 2.92,
        "rest_ms_allowed": 3.57,
    }


def test_merged_windows_pool_latencies_and_count_every_error():
    merged = endpoint._merge([window(100.0, [10.0] * 9, errors=1), window(140.0, [30.0] * 11)])
    assert merged["requests"] == 20 and merged["errors"] == 1
    assert merged["throughput_per_s"] == 120.0  # the median of two windows
    assert merged["p50_ms"] == 30.0 and merged["p99_ms"] == 30.0
    assert merged["window_throughputs"] == [100.0, 140.0]
    assert merged["window_p50s"] == [10.0, 30.0]


def test_the_markdown_shows_every_window_beside_the_floor_measured_before_it():
    c8 = level(services=[170.0, 100.0, 180.0], bares=[240.0, 120.0, 300.0])
    figures = results(c8)
    figures["targets"] = report.targets(figures)
    text = report.markdown(figures)
    assert "| throughput c=8 / bare all-cores throughput | 0.708 | >= 0.7 | yes |" in text
    assert "| 2 | 50.0 | 100.0 | 7.0 | 96.0 | 120.0 | 0.833 |" in text
    assert "| small photo c=1: end-to-end p50 minus bare one-thread p50 (ms) | 4.0 |" in text
    assert "of which the model 8.33 ms" in text and "the 0.70 target leaves it 3.57 ms" in text


def test_throughput_counts_only_the_time_every_client_was_busy():
    finished = [3.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 20.0, 30.0]  # two stragglers at c=2
    assert endpoint.sustained_throughput(0.0, finished, concurrency=2) == 1.0  # 8 in 8 s
    assert endpoint.sustained_throughput(0.0, [2.0, 4.0], concurrency=2) == 0.5  # too few: all
