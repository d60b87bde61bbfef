"""A tiny real retrain from feedback, end to end, against a real MLflow server: a champion
trained on a few photos, reviewed photos exported from the database, a candidate trained and
gated; a worse candidate refused."""

import json
import shutil
from pathlib import Path

import pytest

from catsdogs.registry import lifecycle
from catsdogs.training import recalibrate
from catsdogs.training.__main__ import main
from catsdogs.training.significance import exact_p_value
from tests.registry import model_versions
from tests.store.feedback_photos import add_photo, swapped, tiny_base, tiny_champion
from tests.helpers import close_app, database_url_for, migrated_app, settings_for
from tests.training.test_training import WEIGHTS

pytestmark = [
    pytest.mark.training,
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
BASE_PER_CLASS, FEEDBACK_PER_CLASS = 30, 20


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Base data (30 photos per class), a tiny champion trained on it with a feature cache, and a
    feedback export of 20 more reviewed photos per class."""
    folder = tmp_path_factory.mktemp("retrain")
    base, feedback_photos = tiny_base(folder, BASE_PER_CLASS, FEEDBACK_PER_CLASS)
    champion, cache = tiny_champion(base, folder)

    app = migrated_app(settings_for(folder, database_url_for("sqlite", folder)))
    for label, photos in feedback_photos.items():
        for photo in photos:
            add_photo(app, photo, "confirmed", label)
    feedback = folder / "feedback"
    result = app.test_cli_runner().invoke(args=["dataset", "export", "--out", str(feedback)])
    assert result.exit_code == 0, result.output
    close_app(app)
    return {"base": base, "cache": cache, "champion": champion, "feedback": feedback}


@pytest.fixture(autouse=True)
def no_nonpet_set(monkeypatch, tmp_path):
    """The tiny champion (64 pixels) has no detector, nor does its candidate, whatever
    build/nonpet holds here: test_retrain_recalibrate.py calibrates one on a model of 224."""
    monkeypatch.setattr(recalibrate, "NONPET", tmp_path / "no-nonpet-set")


@pytest.fixture
def mlflow_env(registry, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    monkeypatch.setenv("MLFLOW_MODEL_NAME", registry.name)
    monkeypatch.setenv("USER", "retrain-test")
    return registry


def gate(candidate: Path, champion: Path, feedback: Path, data: Path) -> int:
    """`python -m catsdogs.training gate` on these files; its exit status."""
    arguments = {"candidate": candidate, "champion": champion, "feedback": feedback, "data": data}
    return main(["gate", *(f"--{name}={path}" for name, path in arguments.items())])


def runs_tagged(registry, **tags) -> list[dict]:
    where = " and ".join(f"tags.{k} = '{v}'" for k, v in tags.items())
    answer = registry.rest.call(
        "POST", "runs/search", experiment_ids=[registry.runs.experiment_id()], filter=where
    )
    return answer.get("runs", [])


def test_a_better_candidate_becomes_the_challenger(setup, mlflow_env, tmp_path, capsys):
    registry = mlflow_env
    # A champion that gets most photos wrong: any trained candidate beats it on both sets.
    champion = swapped(setup["champion"], tmp_path / "champion")
    registered = model_versions.register(registry, champion.parent)
    registry.set_alias(lifecycle.CHAMPION, registered.registry_version)
    out = tmp_path / "candidate"

    status = main(
        [
            "retrain",
            "--feedback",
            str(setup["feedback"]),
            "--data",
            str(setup["base"]),
            "--weights",
            str(WEIGHTS),
            "--feature-cache",
            str(setup["cache"]),
            "--out",
            str(out),
        ]
    )

    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "gate passed" in printed and "as challenger" in printed
    challenger = registry.by_alias(lifecycle.CHALLENGER)
    assert challenger is not None and challenger.registry_version != registered.registry_version
    card = registry.card(challenger)
    manifest = json.loads((setup["feedback"] / "manifest.json").read_text())
    assert card["feedback_dataset"]["content_hash"] == manifest["content_hash"]
    assert card["feedback_dataset"]["trained_on"] == sum(manifest["counts"]["train"].values())
    assert card["feedback_dataset"]["neither"]["total"] == 0 and "neither" not in card
    assert card["training"]["frozen_features_reused"] is True  # the base features came cached
    # the champion's split, so that `flask models promote` can compare them
    assert card["dataset"] == json.loads(champion.with_suffix(".json").read_text())["dataset"]
    assert lifecycle.promotion_problems(registry, challenger) == []
    current = registry.by_alias(lifecycle.CHAMPION)
    assert current.registry_version == registered.registry_version  # humans promote

    comparison = (out / "comparison.md").read_text()
    assert (
        "**Gate: PASSED**" in comparison and "Confusion matrix, candidate, feedback" in comparison
    )
    found = json.loads((out / "comparison.json").read_text())
    for part, name in (("test", "base test split"), ("holdout", "feedback hold-out")):
        changed, test = found["changed"][part], found["mcnemar"][part]
        # Two classes: an answer that changed is right for exactly one of the two models.
        c = sum(change["candidate"] == change["truth"] for change in changed)
        b = len(changed) - c
        assert (test["champion_only_right"], test["candidate_only_right"]) == (b, c)
        assert test["p_value"] == exact_p_value(b, c)
        assert (
            f"- McNemar's exact test on the {name}: the candidate alone is right on {c} photos, "
            f"the champion alone on {b}; p = "
        ) in comparison
    run = registry.rest.call("GET", "runs/get", run_id=challenger.run_id)["run"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["gate"] == "passed"
    artifacts = registry.rest.list_artifacts(registry.runs.artifacts(challenger.run_id))
    assert {"comparison.md", "comparison.json", "manifest.json"} <= set(artifacts)
    inputs = {d["dataset"]["name"]: d["dataset"] for d in run["inputs"]["dataset_inputs"]}
    assert inputs["catsdogs-feedback"]["digest"] == manifest["content_hash"][:16]
    assert (
        json.loads(inputs["catsdogs-feedback"]["profile"])["content_hash"]
        == manifest["content_hash"]
    )


def test_a_worse_candidate_is_refused_and_gets_no_version(setup, mlflow_env, tmp_path, capsys):
    registry = mlflow_env
    champion = model_versions.shipped(tmp_path / "unused")  # a first version, so counts mean
    registered = model_versions.register(registry, champion)
    worse = swapped(setup["champion"], tmp_path / "worse")

    status = gate(worse, setup["champion"], setup["feedback"], setup["base"])

    captured = capsys.readouterr()
    assert status == 1
    refusal = captured.err.strip().splitlines()
    assert len(refusal) == 1 and refusal[0].startswith("candidate refused by the gate: ")
    assert "points below the champion's" in refusal[0]
    assert registry.by_alias(lifecycle.CHALLENGER) is None
    assert [v.registry_version for v in registry.versions()] == [registered.registry_version]
    assert "**Gate: REFUSED**" in (worse.parent / "comparison.md").read_text()
    manifest = json.loads((setup["feedback"] / "manifest.json").read_text())
    (run,) = runs_tagged(
        registry,
        gate="refused",
        card_version="0.0.1-swapped",
        feedback_content_hash=manifest["content_hash"],
    )
    artifacts = registry.rest.list_artifacts(registry.runs.artifacts(run["info"]["run_id"]))
    assert {"comparison.md", "manifest.json", "catsdogs.json"} <= set(artifacts)
    assert "catsdogs.onnx" not in artifacts


def test_another_base_dataset_is_refused_with_a_message(setup, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    other = tmp_path / "other"
    shutil.copytree(setup["base"], other)
    next((other / "PetImages" / "Cat").iterdir()).unlink()

    status = gate(setup["champion"], setup["champion"], setup["feedback"], other)

    assert status == 2
    assert "is not the champion's base data" in capsys.readouterr().err


def test_a_folder_that_is_not_an_intact_export_is_refused(setup, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    edited = tmp_path / "edited"
    shutil.copytree(setup["feedback"], edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["photos"][0]["label"] = "dog" if manifest["photos"][0]["label"] == "cat" else "cat"
    (edited / "manifest.json").write_text(json.dumps(manifest))
    common = [
        "--champion",
        str(setup["champion"]),
        "--data",
        str(setup["base"]),
        "--out",
        str(tmp_path / "out"),
    ]

    for folder, message in (
        (tmp_path, "holds no readable manifest.json"),
        (edited, "the photos do not match the content hash"),
    ):
        assert main(["retrain", "--feedback", str(folder), *common]) == 2
        error = capsys.readouterr().err
        assert message in error and "Traceback" not in error


def test_an_empty_hold_out_passes_on_the_test_split_with_a_warning(
    setup, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    empty = tmp_path / "empty"
    app = migrated_app(settings_for(tmp_path, database_url_for("sqlite", tmp_path)))
    export = ["dataset", "export", "--out", str(empty), "--allow-empty"]
    assert app.test_cli_runner().invoke(args=export).exit_code == 0
    close_app(app)

    status = gate(setup["champion"], setup["champion"], empty, setup["base"])

    assert status == 0
    told = capsys.readouterr().out
    assert "warning: the feedback hold-out is empty: the two models were compared on the " in told
    assert "photos of the base test split alone, on no reviewed photo" in told
    assert "feedback hold-out empty: not compared" in told
    comparison = (setup["champion"].parent / "comparison.md").read_text()
    assert (
        "**Gate: PASSED**" in comparison and "warning: the feedback hold-out is empty" in comparison
    )
    assert "| feedback hold-out | 0 | - | - | - | - | - | - |" in comparison
    assert (
        "- McNemar's exact test on the base test split: the candidate alone is right on 0 photos, "
        "the champion alone on 0; p = 1: no significant difference at 0.05.\n" in comparison
    )
    assert "McNemar's exact test on the feedback hold-out" not in comparison
