"""`make profile-requests`: a py-spy sample lands in the category of its innermost known frame."""

from bench.profile_requests import OTHER, categorize, machine_ms, markdown, read_samples

MODEL = "run (onnxruntime/capi/onnxruntime_inference_collection.py:266)"
INSERT = "do_execute (sqlalchemy/engine/default.py:1192)"
VIEW = "predict (catsdogs/api/predict.py:35)"
WAITRESS = "service (waitress/channel.py:428)"


def test_the_innermost_known_frame_decides():
    assert categorize(";".join([WAITRESS, VIEW, MODEL])) == "the model (ONNX Runtime)"
    assert categorize(";".join([WAITRESS, VIEW, INSERT])).startswith("database client")
    assert categorize(";".join([WAITRESS, VIEW])) == "catsdogs, other"
    assert categorize(";".join([WAITRESS, "wait (threading.py:327)"])) == "waitress (HTTP)"
    assert categorize("_bootstrap (threading.py:1002)") == OTHER


def test_raw_stacks_are_counted_and_split_in_proportion(tmp_path):
    raw = tmp_path / "raw.txt"
    stacks = [(";".join([WAITRESS, VIEW, MODEL]), 30), (";".join([WAITRESS, VIEW, INSERT]), 10)]
    raw.write_text("".join(f"{stack} {count}\n" for stack, count in stacks))
    samples = read_samples(raw)
    assert samples["the model (ONNX Runtime)"] == 30 and sum(samples.values()) == 40
    level = {
        "concurrency": 1,
        "per_second": 100.0,
        "server_ms": 8.0,
        "postgres_ms": 0.5,
        "client_ms": 0.2,
        "machine_ms": machine_ms(busy_percent=50.0, seconds=10, answered=1000, cores=2),
        "categories": {name: 8.0 * n / 40 for name, n in samples.items()},
    }
    assert level["machine_ms"] == 10.0  # 2 cores half busy for 10 s, 1,000 answers
    table = markdown([level])
    assert "| server: the model (ONNX Runtime) | 6.00 |" in table
    assert "| kernel and the rest (machine minus the above) | 1.30 |" in table
