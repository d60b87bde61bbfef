"""The model card describes the shipped model; a missing or inconsistent card stops start-up."""

import json
import logging
import shutil

import pytest

from catsdogs import create_app
from catsdogs.card import NEVER_UNSURE, SHIPPED_MODEL, CardError, ModelCard
from catsdogs.training.metrics import unsure_below


def test_the_card_describes_the_shipped_model():
    card = ModelCard.for_model(SHIPPED_MODEL)
    assert card.classes == ("cat", "dog") and 0 < card.threshold < 1
    assert card.data["sha256"] and card.model_version.split("+")[1] == card.data["sha256"][:8]


def test_the_card_says_below_which_confidence_the_model_is_not_sure():
    card = ModelCard.for_model(SHIPPED_MODEL)
    # Below 80%, the validation photos were right 60% of the time (33 of 55); above, over 90%.
    assert card.unsure_below == 0.8
    assert unsure_below(card.data["evaluation"]["validation"]["reliability"]) == 0.8
    assert card.unsure(0.51) and card.unsure(0.7999) and not card.unsure(0.8)


def test_a_card_without_unsure_below_still_loads_and_is_never_unsure(tmp_path):
    card = ModelCard.for_model(broken_copy(tmp_path, lambda card: card.pop("unsure_below")))
    assert card.unsure_below == NEVER_UNSURE and not card.unsure(0.5)


def broken_copy(tmp_path, change) -> str:
    model = tmp_path / "model.onnx"
    shutil.copy(SHIPPED_MODEL, model)
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    change(card)
    model.with_suffix(".json").write_text(json.dumps(card))
    return str(model)


def rename_input(card):
    card["input"]["name"] = "pixels"


def wrong_size(card):
    card["preprocessing"]["resize"]["size"] = [160, 160]


def no_classes(card):
    del card["classes"]


def swapped_classes(card):
    card["classes"] = ["dog", "cat"]


def unsure_above_one(card):
    card["unsure_below"] = 1.5


@pytest.mark.parametrize(
    "change", [rename_input, wrong_size, no_classes, swapped_classes, unsure_above_one]
)
def test_an_inconsistent_card_stops_start_up(make_app, tmp_path, caplog, change):
    with caplog.at_level(logging.CRITICAL), pytest.raises(CardError):
        make_app(MODEL_PATH=broken_copy(tmp_path, change))
    assert [r.levelname for r in caplog.records if r.levelno >= logging.CRITICAL] == ["CRITICAL"]


def test_a_missing_model_stops_start_up(tmp_path, caplog):
    with caplog.at_level(logging.CRITICAL), pytest.raises(CardError, match="not found"):
        create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path),
                "MODEL_PATH": str(tmp_path / "nothing.onnx"),
            }
        )
    assert "cannot start: model file not found" in caplog.text


def test_a_missing_card_stops_start_up(tmp_path):
    model = tmp_path / "model.onnx"
    shutil.copy(SHIPPED_MODEL, model)
    with pytest.raises(CardError, match="card not found"):
        ModelCard.for_model(model)


def test_the_shipped_card_holds_the_reference_profile_of_its_validation_split():
    card = ModelCard.for_model(SHIPPED_MODEL).data
    profile = card["reference_profile"]
    assert profile["split"] == "validation"
    assert profile["images"] == card["dataset"]["split"]["validation"] == 2400
    assert profile["signals"]["class"]["shares"] == pytest.approx([0.5, 0.5], abs=0.01)
    assert profile["signals"]["format"]["shares"][0] == 1.0  # the photos are all JPEGs
    assert (
        "## Reference profile (2400 validation images"
        in SHIPPED_MODEL.with_suffix(".md").read_text()
    )


def test_a_card_without_a_reference_profile_still_loads(tmp_path):
    card = ModelCard.for_model(broken_copy(tmp_path, lambda card: card.pop("reference_profile")))
    assert "reference_profile" not in card.data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["signals"]["brightness"]["bins"].pop(), "differ from serving's"),
        (lambda p: p["signals"]["class"].update(shares=[0.5, 0.1]), "sum to 1"),
        (lambda p: p["signals"].update(loudness={}), "unknown signal"),
        (lambda p: p.pop("signals"), "malformed"),
    ],
)
def test_a_reference_profile_serving_cannot_read_stops_start_up(tmp_path, change, message):
    model = broken_copy(tmp_path, lambda card: change(card["reference_profile"]))
    with pytest.raises(CardError, match=message):
        ModelCard.for_model(model)
