"""`python -m catsdogs.training`: where a trained model goes, without training one."""

import datetime
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from catsdogs.card import SHIPPED_MODEL, CardError
from catsdogs.training import __main__ as cli
from catsdogs.training import commands, export, pipeline
from tests.helpers import DATASET, ROOT

NOW = datetime.datetime(2026, 5, 4, 12, 30, 5, tzinfo=datetime.UTC)


def target(*argv) -> object:
    return commands.output_path(cli._parser().parse_args(["train", *argv]), NOW)


def test_by_default_a_new_model_goes_to_its_own_folder_outside_the_package():
    model = target()
    assert model == ROOT / "models" / "20260504-123005" / "catsdogs.onnx"
    assert SHIPPED_MODEL.parent not in model.parents
    assert "models/" in (ROOT / ".gitignore").read_text().split()


def test_only_ship_or_an_explicit_path_replaces_the_shipped_model(tmp_path):
    assert target("--ship") == SHIPPED_MODEL
    assert target("--model", str(tmp_path / "m.onnx")) == tmp_path / "m.onnx"
    with pytest.raises(SystemExit):
        target("--ship", "--model", str(tmp_path / "m.onnx"))


def test_make_train_leaves_the_shipped_model_alone(monkeypatch, capsys):
    written = []

    def fake_training(data, weights, model, settings, cache):
        written.append(model)
        return json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())

    monkeypatch.setattr(pipeline, "train", fake_training)
    assert cli.main(["train"]) == 0  # what `make train` runs, without TRAIN_ARGS
    [model] = written
    assert model.parent.parent == ROOT / "models" and model != SHIPPED_MODEL
    assert f"-m catsdogs.training ship {model}\n" in capsys.readouterr().out


def test_the_markdown_card_is_named_after_its_model(tmp_path):
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    export.write_cards(card, tmp_path / "tiny.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.json", "tiny.md"]
    assert (tmp_path / "tiny.md").read_text().startswith(f"# Model card: {card['name']}")
    assert SHIPPED_MODEL.with_suffix(".md").read_text().startswith("# Model card")
    assert "catsdogs/model/catsdogs.md" in (ROOT / "README.md").read_text()


def test_ship_copies_the_model_and_both_cards(tmp_path, monkeypatch):
    trained = tmp_path / "models" / "run" / "catsdogs.onnx"
    trained.parent.mkdir(parents=True)
    for suffix in commands.CARD_SUFFIXES:
        shutil.copyfile(SHIPPED_MODEL.with_suffix(suffix), trained.with_suffix(suffix))
    shipped = tmp_path / "package" / "model" / "catsdogs.onnx"
    shipped.parent.mkdir(parents=True)
    monkeypatch.setattr(commands, "SHIPPED_MODEL", shipped)
    assert cli.main(["ship", str(trained)]) == 0
    for suffix in commands.CARD_SUFFIXES:
        assert shipped.with_suffix(suffix).read_bytes() == trained.with_suffix(suffix).read_bytes()


def test_ship_refuses_a_model_without_its_card(tmp_path):
    lone = tmp_path / "lone.onnx"
    shutil.copyfile(SHIPPED_MODEL, lone)
    with pytest.raises(CardError, match="model card not found"):
        cli.main(["ship", str(lone)])


def test_profile_rewrites_only_the_cards_profile_with_onnx_runtime_alone(tmp_path):
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is absent: real-photo checks need ../shared")
    # A tiny dataset in the PetImages layout: its validation split holds one photo per class.
    with zipfile.ZipFile(DATASET) as archive:
        for label in ("Cat", "Dog"):
            folder = tmp_path / "data" / "PetImages" / label
            folder.mkdir(parents=True)
            for name in sorted(
                n for n in archive.namelist() if f"/{label}/" in n and n.endswith(".jpg")
            )[:10]:
                (folder / name.rsplit("/", 1)[1]).write_bytes(archive.read(name))
    model = tmp_path / "catsdogs.onnx"
    for suffix in commands.CARD_SUFFIXES:
        shutil.copyfile(SHIPPED_MODEL.with_suffix(suffix), model.with_suffix(suffix))
    script = (
        "import sys; from catsdogs.training.__main__ import main; code = main(sys.argv[1:]); "
        "print('tensorflow' in sys.modules); sys.exit(code)"
    )
    argv = ["profile", "--data", str(tmp_path / "data"), "--model", str(model)]
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("False")  # TensorFlow never imported
    before = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    after = json.loads(model.with_suffix(".json").read_text())
    assert after["reference_profile"]["images"] == 2
    assert {k: v for k, v in after.items() if k != "reference_profile"} == {
        k: v for k, v in before.items() if k != "reference_profile"
    }
    assert "## Reference profile (2 validation images" in model.with_suffix(".md").read_text()
