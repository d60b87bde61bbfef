"""A model's MLflow run (catsdogs/registry/model_run.py) and training's use of it, on a real
server."""

import json
import shutil

import pytest

from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry.model_run import figures, log_model
from catsdogs.registry.client import CARD, ONNX, REPORT
from catsdogs.training import __main__ as training
from catsdogs.training import commands, pipeline
from tests import serve_helpers
from tests.helpers import DATASET

CARD_DATA = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())


def run_of(registry, run_id: str) -> dict:
    return registry.rest.call("GET", "runs/get", run_id=run_id)["run"]


def numbers_in(value) -> int:
    """How many numbers a part of the card holds (bin edges and file names are not figures)."""
    if isinstance(value, bool) or isinstance(value, str):
        return 0
    if isinstance(value, int | float):
        return 1
    if isinstance(value, dict):
        return sum(numbers_in(v) for k, v in value.items() if k not in ("bin", "worst_mistakes"))
    if isinstance(value, list):
        return sum(numbers_in(v) for v in value)
    return 0


def test_every_evaluation_figure_of_the_card_is_a_metric():
    found = figures(CARD_DATA)
    evaluation = {k: v for k, v in found.items() if k.split(".")[0] in CARD_DATA["evaluation"]}
    # 88, and the "not sure" table: 7 confidences of 5 numbers, for validation and test
    assert len(evaluation) == numbers_in(CARD_DATA["evaluation"]) == 88 + 2 * 7 * 5
    assert found["test.risk_coverage.4.error_rate"] == 0.006  # from a confidence of 0.8
    assert found["test.accuracy"] == 0.985 and found["validation.roc_auc"] == 0.99918
    assert found["test.per_class.dog.recall"] == 0.9875
    assert found["validation.confusion.cat_as_dog"] == 14
    assert found["test.reliability.0.95-1.00.count"] == 2262
    assert found["parity.max_abs_difference"] == CARD_DATA["parity"]["max_abs_difference"]
    assert found["history.members.1.fine_tune.val_accuracy"] == [0.9825, 0.98625, 0.98917]


def test_a_logged_model_has_its_run_and_a_version(registry):
    version = log_model(registry, SHIPPED_MODEL, "test")
    run = run_of(registry, version.run_id)
    assert run["info"]["status"] == "FINISHED"
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["settings.seed"] == "1337" and params["settings.ensemble"] == "2"
    assert params["dataset.sha256"] == CARD_DATA["dataset"]["sha256"]
    assert params["dataset.split.test"] == "2400"
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics["test.accuracy"] == 0.985 and len(metrics) == len(figures(CARD_DATA))
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["dataset_sha256"] == CARD_DATA["dataset"]["sha256"]
    artifacts = registry.rest.list_artifacts(registry.runs.artifacts(version.run_id) + "/model")
    assert sorted(artifacts) == sorted([ONNX, CARD, REPORT])
    assert version.model_version == CARD_DATA["version"] and version.sha256 == CARD_DATA["sha256"]
    assert version.tags["origin"] == "test"


def trained_model(monkeypatch, tmp_path):
    """`train` with the packaged model standing for a trained one (no TensorFlow here)."""
    model = tmp_path / "models" / "run" / "catsdogs.onnx"

    def fake_training(data, weights, model_path, settings, cache):
        model_path.parent.mkdir(parents=True)
        for suffix in (".onnx", ".json", ".md"):
            shutil.copyfile(SHIPPED_MODEL.with_suffix(suffix), model_path.with_suffix(suffix))
        return CARD_DATA

    monkeypatch.setattr(pipeline, "train", fake_training)
    return model


def test_training_logs_to_mlflow_when_a_tracking_uri_is_set(
    registry, monkeypatch, tmp_path, capsys
):
    model = trained_model(monkeypatch, tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    monkeypatch.setenv("MLFLOW_MODEL_NAME", registry.name)
    assert training.main(["train", "--model", str(model)]) == 0
    assert f"registered {registry.name} version 1 (1.1.0+3ecc1288)" in capsys.readouterr().out
    [version] = registry.versions()
    assert version.sha256 == CARD_DATA["sha256"] and version.tags["origin"] == "train"


def test_the_training_log_goes_with_the_run(registry, monkeypatch, tmp_path):
    log_file = tmp_path / "train.log"  # what `make train` writes with --log-file
    log_file.write_text("12:00:00 INFO catsdogs.training.pipeline: test accuracy 0.9850\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    monkeypatch.setenv("MLFLOW_MODEL_NAME", registry.name)
    assert commands.log_to_mlflow(SHIPPED_MODEL, "train", str(log_file), training.DEFAULT_DATA) == 0
    run_id = registry.get("1").run_id
    assert registry.rest.list_artifacts(registry.runs.artifacts(run_id)) == ["train.log"]


def test_training_without_a_tracking_uri_talks_to_no_one(monkeypatch, tmp_path, capsys):
    model = trained_model(monkeypatch, tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert training.main(["train", "--model", str(model)]) == 0
    assert "MLflow" not in capsys.readouterr().out


def test_training_says_how_to_log_later_when_mlflow_is_down(monkeypatch, tmp_path, capsys):
    if not DATASET.exists():  # the check photos are drawn from it before MLflow is called
        pytest.skip(f"{DATASET} is absent: real-photo checks need ../shared")
    model = trained_model(monkeypatch, tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{serve_helpers.free_port()}")
    assert training.main(["train", "--model", str(model)]) == 1
    output = capsys.readouterr()
    assert "cannot reach MLflow" in output.err and f"catsdogs.training log {model}" in output.out
    assert model.exists()  # the trained model is kept whatever MLflow did


def test_log_registers_an_already_trained_model(registry, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    monkeypatch.setenv("MLFLOW_MODEL_NAME", registry.name)
    assert training.main(["log", str(SHIPPED_MODEL)]) == 0
    assert registry.get("1").tags["origin"] == "log"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert training.main(["log", str(SHIPPED_MODEL)]) == 2
    assert "set MLFLOW_TRACKING_URI" in capsys.readouterr().err
