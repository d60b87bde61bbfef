"""The INT8 copy of the shipped model: how it is made, its card, and what it answers."""

import hashlib
import json

import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.serving.classifier import load_classifier
from catsdogs.training import __main__ as cli
from catsdogs.training import quantize
from catsdogs.store.petimages import Dataset, card_split
from catsdogs.training.report import render_markdown
from tests.helpers import DATASET, shared_photos

pytestmark = pytest.mark.system  # quantizes with onnx (the quantize extra), minutes on 2 cores
INT8 = SHIPPED_MODEL.with_name("catsdogs-int8.onnx")


def real_photos(count: int) -> list[tuple[str, bytes]]:
    return shared_photos("Cat", count) + shared_photos("Dog", count)


def test_quantize_writes_an_int8_model_and_card_that_answer_as_fp32(tmp_path, capsys):
    target = tmp_path / "tiny-int8.onnx"
    argv = ["quantize", "--output", str(target), "--per-class", "20", "--calibration-images", "8"]
    shared_photos("Cat", 1)  # skips without ../shared
    assert cli.main(argv) == 0
    assert f"-> {target}" in capsys.readouterr().out
    card = ModelCard.for_model(target)  # the card beside it validates
    assert card.data["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    # The maps keep their meaning; the detector's threshold, set on FP32 scores, stays only if
    # it still calls at most 1% of the copy's validation pets neither.
    assert card.cam_output == "cam"
    if "neither" in card.data:
        assert card.data["neither"]["int8"]["refused_pets"] <= 0.01
        pets = card.data["dataset"]["split"]["validation"]
        assert card.data["neither"]["int8"]["validation_pets"] == pets
    assert card.model_version == f"1.1.0+{card.data['sha256'][:8]}"
    assert card.data["quantization"]["calibration"] == {"split": "train", "images": 8, "seed": 0}
    assert (
        target.with_suffix(".md").read_text().startswith("# Model card: catsdogs-mobilenetv2-int8")
    )
    # Under half the size: one byte per weight instead of four, but for the layers kept FP32
    # (the last convolutions and the detector's projection).
    assert target.stat().st_size < SHIPPED_MODEL.stat().st_size / 2
    int8, fp32 = load_classifier(str(target)), load_classifier(str(SHIPPED_MODEL))
    for name, photo in real_photos(8):
        ours, theirs = int8.predict(photo), fp32.predict(photo)
        assert ours.label == theirs.label, name
        assert ours.probabilities["dog"] == pytest.approx(theirs.probabilities["dog"], abs=0.1)


def test_calibration_photos_come_from_the_training_split_only():
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is absent: the split needs ../shared")
    parts = card_split(Dataset(DATASET), ModelCard.for_model(SHIPPED_MODEL).data)
    chosen = quantize.calibration_split(parts["train"], 256, seed=0)
    assert len(chosen) == 256 and len(set(chosen.files)) == 256
    assert set(chosen.files) <= set(parts["train"].files)
    assert not set(chosen.files) & (set(parts["validation"].files) | set(parts["test"].files))
    assert 100 < sum(chosen.labels) < 156  # both classes, drawn at random


def test_the_shipped_int8_card_validates_and_its_sha256_is_its_file():
    card = ModelCard.for_model(INT8)
    assert card.data["file"] == INT8.name
    assert card.data["sha256"] == hashlib.sha256(INT8.read_bytes()).hexdigest()
    assert card.model_version == f"1.1.0+{card.data['sha256'][:8]}"
    assert INT8.with_suffix(".md").read_text() == render_markdown(card.data)


def test_the_shipped_int8_model_was_made_from_the_shipped_model_and_judged_on_its_test_split():
    int8 = json.loads(INT8.with_suffix(".json").read_text())
    fp32 = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    made_from = int8["quantization"]["source"]
    assert (made_from["sha256"], made_from["version"]) == (fp32["sha256"], fp32["version"])
    assert int8["dataset"] == fp32["dataset"]
    gate = int8["quantization"]["gate"]
    # FP32 was run again beside INT8 on the same photos: it scores what its own card says.
    assert gate["test_images"] == fp32["evaluation"]["test"]["images"] == 2400
    assert gate["fp32_accuracy"] == fp32["evaluation"]["test"]["accuracy"]
    assert gate["int8_accuracy"] == int8["evaluation"]["test"]["accuracy"]
    assert gate["within"] == (gate["fp32_accuracy"] - gate["int8_accuracy"] <= 0.003 + 1e-9)
    # Chosen on the validation split: the copy's settings are the module's.
    assert int8["quantization"]["settings"] == quantize.SETTINGS


def test_the_shipped_int8_model_classifies_real_photos():
    classifier = load_classifier(str(INT8))
    for name, photo in real_photos(6):
        prediction = classifier.predict(photo)
        assert prediction.label == name.split("/")[1].lower(), name
        assert prediction.model_version == classifier.card.model_version
        assert prediction.neither is False and prediction.activation.shape == (2, 7, 7)
