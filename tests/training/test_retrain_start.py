"""What `make retrain` does before it trains: says what it installs, and refuses to retrain on
0 reviewed photos unless told --allow-empty (no TensorFlow needed, no training)."""

import json
import os
import re
import shutil
import subprocess

import pytest

from catsdogs.card import SHIPPED_MODEL
from catsdogs.training import recalibrate
from catsdogs.training.__main__ import main
from tests.helpers import ROOT, migrated_sqlite

REFUSED = "0 reviewed photos: review some on /review first"


def make(*arguments: str, env: dict | None = None, dry_run: bool = False):
    """`make` in the checkout; the serving venv counts as built (-o): no install from a test."""
    command = ["make", "--no-print-directory", "-o", ".venv/.serve", *(["-n"] if dry_run else [])]
    return subprocess.run(
        [*command, *arguments],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_retrain_with_0_reviewed_photos_stops_before_installing_tensorflow(tmp_path):
    database = tmp_path / "catsdogs.sqlite"
    shutil.copyfile(migrated_sqlite(), database)  # the app's tables, no photo reviewed
    train_venv = tmp_path / "venv-train"

    done = make(
        "retrain",
        f"TRAIN_VENV={train_venv}",
        f"FEEDBACK_DATASET={tmp_path / 'export'}",
        env={"DATABASE_URL": f"sqlite:///{database}", "INSTANCE_PATH": str(tmp_path)},
    )

    assert done.returncode != 0
    assert f"Error: {REFUSED}" in done.stderr
    assert "RETRAIN_ARGS=--allow-empty" in done.stderr
    assert "installs TensorFlow" not in done.stdout and not train_venv.exists()
    assert not (tmp_path / "export").exists()


def recipe(*arguments: str) -> list[str]:
    """The commands `make retrain` would run, in order (make -n), continuation lines joined."""
    done = make("retrain", *arguments, dry_run=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.replace("\\\n", " ").splitlines()


def position(lines: list[str], pattern: str) -> int:
    found = [n for n, line in enumerate(lines) if re.search(pattern, line)]
    assert found, f"no command matches {pattern!r}:\n" + "\n".join(lines)
    return found[0]


def test_make_retrain_says_what_it_installs_before_installing_it(tmp_path):
    lines = recipe(f"TRAIN_VENV={tmp_path / 'venv-train'}")

    export = position(lines, r"flask --app catsdogs dataset export ")
    told = position(lines, r"installs TensorFlow into .*venv-train.*700 MB.*2\.4 GB")
    timed = position(lines, r"trains and gates a candidate, 15 to 30 minutes")
    install = position(lines, r"pip install .*requirements/train\.txt")
    train = position(lines, r"-m catsdogs.training .*retrain ")
    assert export < told < timed < install < train
    assert "--allow-empty" not in lines[export] + lines[train]


def test_make_retrain_passes_allow_empty_to_the_export_and_to_the_retrain(tmp_path):
    lines = recipe(f"TRAIN_VENV={tmp_path / 'venv-train'}", "RETRAIN_ARGS=--allow-empty")

    assert lines[position(lines, r"dataset export ")].rstrip().endswith("--allow-empty")
    assert lines[position(lines, r"-m catsdogs.training .*retrain ")].endswith("--allow-empty")


def test_the_export_goes_on_with_0_reviewed_photos_when_allowed(runner, tmp_path):
    refused = runner.invoke(args=["dataset", "export", "--out", str(tmp_path / "refused")])
    assert refused.exit_code == 1 and REFUSED in refused.output
    assert not (tmp_path / "refused").exists()

    allowed = runner.invoke(
        args=["dataset", "export", "--out", str(tmp_path / "empty"), "--allow-empty"]
    )

    assert allowed.exit_code == 0, allowed.output
    assert "Exported 0 reviewed photos" in allowed.output
    manifest = json.loads((tmp_path / "empty" / "manifest.json").read_text())
    assert manifest["counts"]["total"] == 0 and manifest["neither"]["counts"]["total"] == 0


@pytest.fixture
def empty_export(runner, tmp_path):
    out = tmp_path / "empty"
    done = runner.invoke(args=["dataset", "export", "--out", str(out), "--allow-empty"])
    assert done.exit_code == 0, done.output
    return out


def retrain(export, tmp_path, *extra: str) -> int:
    """The training command on the packaged champion, as `make retrain` calls it."""
    return main(
        ["retrain", "--feedback", str(export), "--champion", str(SHIPPED_MODEL),
         "--out", str(tmp_path / "candidate"), *extra]
    )  # fmt: skip


def test_the_retrain_refuses_an_export_of_0_reviewed_photos(empty_export, tmp_path, capsys):
    assert retrain(empty_export, tmp_path) == 2

    error = capsys.readouterr().err
    assert f"retrain: 0 reviewed photos in {empty_export}: review some on /review first" in error
    assert "--allow-empty" in error and "Traceback" not in error
    assert not (tmp_path / "candidate").exists()


def test_allow_empty_goes_past_the_check_to_the_next_one(
    empty_export, tmp_path, capsys, monkeypatch
):
    # The next check, the non-pet set the packaged champion's detector needs, is absent here:
    # the retrain stops there, in seconds, before TensorFlow is imported.
    monkeypatch.setattr(recalibrate, "NONPET", tmp_path / "no-nonpet-set")

    assert retrain(empty_export, tmp_path, "--allow-empty") == 2

    error = capsys.readouterr().err
    assert "0 reviewed photos" not in error
    assert f"retrain: no non-pet set at {tmp_path / 'no-nonpet-set'}" in error
