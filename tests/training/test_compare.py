"""`python -m catsdogs.training compare`: two models on the champion's test split alone, what it
prints and writes. The shipped network, run by ONNX Runtime on real photos: no TensorFlow."""

import json
from pathlib import Path

import pytest

from catsdogs.card import SHIPPED_MODEL
from catsdogs.store.petimages import Dataset
from catsdogs.training.__main__ import main
from catsdogs.training.significance import exact_p_value
from tests.helpers import shared_photos
from tests.registry import model_versions

PER_CLASS = 100  # a test split of 20 photos (the card's 10%)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compare") / "base"
    for label in ("Cat", "Dog"):
        (folder / "PetImages" / label).mkdir(parents=True)
        for name, jpeg in shared_photos(label, PER_CLASS):
            (folder / "PetImages" / label / Path(name).name).write_bytes(jpeg)
    return folder


def split_from(photos: Path, folder: Path, model: bytes, version: str, **changes) -> Path:
    """`model` with the shipped card, as if split from `photos` as the shipped model was."""
    sha256 = Dataset(photos).sha256()
    model_versions.write(folder, model, version, **{"dataset.sha256": sha256, **changes})
    return folder / "catsdogs.onnx"


def compare(candidate: Path, champion: Path, photos: Path) -> int:
    return main(
        ["compare", f"--candidate={candidate}", f"--champion={champion}", f"--data={photos}"]
    )


def test_the_network_beats_its_swapped_copy_significantly(photos, tmp_path, capsys):
    swapped = split_from(photos, tmp_path / "swapped", model_versions.rescaled(-1.0, 1.0), "0-swap")
    candidate = split_from(photos, tmp_path / "candidate", SHIPPED_MODEL.read_bytes(), "1-real")

    assert compare(candidate, swapped, photos) == 0

    printed = capsys.readouterr().out
    found = json.loads((tmp_path / "candidate" / "comparison-test-split.json").read_text())
    figures = found["figures"]["candidate"]["test"]
    (cats_right, cat_as_dog), (dog_as_cat, dogs_right) = figures["confusion_matrix"]["counts"]
    right, wrong = cats_right + dogs_right, cat_as_dog + dog_as_cat
    assert right + wrong == figures["images"] == 2 * PER_CLASS // 10
    # Every photo the swapped copy gets right, the network gets wrong, and the other way round.
    assert found["mcnemar"]["test"] == {
        "champion_only_right": wrong,
        "candidate_only_right": right,
        "p_value": exact_p_value(wrong, right),
    }
    assert exact_p_value(wrong, right) < 0.05
    assert (
        f"candidate 1-real: accuracy {figures['accuracy']:.2%}, {wrong} errors on 20 photos, "
        f"ECE {figures['expected_calibration_error']:.4f}\n" in printed
    )
    assert f"champion  0-swap: accuracy {1 - figures['accuracy']:.2%}, {right} errors" in printed
    tested = f"the candidate alone is right on {right} photos, the champion alone on {wrong}; p = "
    assert f"McNemar's exact test: {tested}" in printed
    assert "the candidate is significantly better (p < 0.05)" in printed
    markdown = (tmp_path / "candidate" / "comparison-test-split.md").read_text()
    assert markdown.startswith("# Comparison: candidate 1-real against champion 0-swap\n")
    assert f"- McNemar's exact test on the base test split: {tested}" in markdown
    assert "Gate" not in markdown and "feedback hold-out" not in markdown
    assert f"| base test split | 20 | {1 - figures['accuracy']:.2%} | " in markdown
    assert not (tmp_path / "candidate" / "comparison.md").exists()  # a gate's is left alone


def test_the_same_answers_make_no_difference(photos, tmp_path, capsys):
    champion = split_from(photos, tmp_path / "champion", SHIPPED_MODEL.read_bytes(), "1-real")
    damped = split_from(photos, tmp_path / "damped", model_versions.rescaled(0.8, 0.1), "2-damp")

    assert compare(damped, champion, photos) == 0

    printed = capsys.readouterr().out
    assert (
        "McNemar's exact test: the candidate alone is right on 0 photos, the champion alone on "
        "0; p = 1: no significant difference at 0.05\n" in printed
    )
    found = json.loads((tmp_path / "damped" / "comparison-test-split.json").read_text())
    assert found["changed"] == {"test": []}
    figures = [found["figures"][model]["test"] for model in ("champion", "candidate")]
    assert figures[0]["accuracy"] == figures[1]["accuracy"]
    assert figures[0]["expected_calibration_error"] != figures[1]["expected_calibration_error"]


def test_a_candidate_split_otherwise_is_refused(photos, tmp_path, capsys):
    champion = split_from(photos, tmp_path / "champion", SHIPPED_MODEL.read_bytes(), "1-real")
    other = split_from(
        photos, tmp_path / "other", SHIPPED_MODEL.read_bytes(), "1-seed", **{"dataset.split": {}}
    )

    assert compare(other, champion, photos) == 2

    error = capsys.readouterr().err
    assert "compare: the candidate's base dataset split is not the champion's" in error
    assert not list((tmp_path / "other").glob("comparison*"))
