"""The packaged model is the previous one extended by `trust --ship`: same weights, same first
output, a detector and a heatmap its card describes; the previous one stays loadable beside it."""

import json
import shutil

import numpy as np
import onnx
import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.serving.classifier import load_classifier
from catsdogs.training import __main__ as cli
from catsdogs.training import export, metrics
from catsdogs.training.report import render_markdown
from catsdogs.training.trust import graph, ship
from tests.helpers import image_bytes, shared_photos
from tests.registry.test_trust_release import drawing

PREVIOUS = SHIPPED_MODEL.parent / ship.PREVIOUS / SHIPPED_MODEL.name
CARD = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
OLD = json.loads(PREVIOUS.with_suffix(".json").read_text())


def test_the_shipped_graph_is_the_previous_one_plus_outputs():
    shipped = onnx.load(SHIPPED_MODEL)
    assert graph.base(shipped).SerializeToString() == PREVIOUS.read_bytes()
    assert graph.base(onnx.load(PREVIOUS)).SerializeToString() == PREVIOUS.read_bytes()
    assert [o.name for o in shipped.graph.output] == [o["name"] for o in CARD["outputs"]]


def test_the_card_is_the_previous_card_with_a_new_version_and_the_new_sections():
    sha256 = export.file_sha256(SHIPPED_MODEL)
    assert CARD["sha256"] == sha256 and CARD["version"] == f"1.1.0+{sha256[:8]}"
    assert CARD["extension"]["from"] == {"version": OLD["version"], "sha256": OLD["sha256"]}
    assert [o["name"] for o in CARD["outputs"]] == [
        "Identity:0", "features", "head_logits", "cam", "neither_score",
    ]  # fmt: skip
    assert CARD["output"] == CARD["outputs"][0] == OLD["output"]
    changed = {"version", "architecture", "sha256", "outputs", "evaluation", "reference_profile"}
    added = {"neither", "cam", "extension"}
    assert set(CARD) == set(OLD) | {"outputs"} | added
    assert {key for key in OLD if OLD[key] != CARD[key]} <= changed
    # `make profile` since gave the detector's score its reference; the other signals stay.
    profiled = dict(CARD["reference_profile"]["signals"])
    profiled.pop("neither_score")
    assert profiled == OLD["reference_profile"]["signals"]
    for part in ("validation", "test"):  # the figures stay; the table of "not sure" is added
        evaluation = dict(CARD["evaluation"][part])
        assert evaluation.pop("risk_coverage")[0]["confidence_at_least"] == 0.5
        assert evaluation == OLD["evaluation"][part]


def test_the_card_tells_how_far_to_trust_the_detector():
    neither = CARD["neither"]
    assert (neither["output"], neither["refuse_when"]) == ("neither_score", "score > threshold")
    assert neither["threshold"] == pytest.approx(5008.89, abs=0.01)
    test = neither["test"]
    assert test["auroc"] >= 0.95 and test["refused_pets"] <= 0.01
    for kind in ("photo", "drawing"):
        assert test["kinds"][kind]["auroc"] >= 0.95 and test["kinds"][kind]["refused"] >= 0.9
    assert set(test["kinds"]) == set(neither["calibration"]["kinds"]) == {
        "photo", "drawing", "cutout",
    }  # fmt: skip
    accuracy = neither["accuracy"]
    assert accuracy["answered"] >= accuracy["all"] - 0.001
    real = neither["real_photos"]
    assert [r["file"] for r in real] == [
        "chelsea.png", "chicky_512.png", "friends_by_Aitzol_Berasategi.jpg", "dog.png",
    ]  # fmt: skip
    assert all(r["answered"] and r["score"] < neither["threshold"] for r in real)
    assert [r["predicted"] for r in real] == [r["class"] for r in real]
    faithful = CARD["cam"]["faithfulness"]
    assert faithful["mean_logit_drop"]["hottest"] > 2 * faithful["mean_logit_drop"]["random"]


def test_the_not_sure_table_comes_from_the_test_split_s_answers():
    rows = CARD["evaluation"]["test"]["risk_coverage"]
    assert [r["confidence_at_least"] for r in rows] == list(metrics.RISK_THRESHOLDS)
    errors = CARD["evaluation"]["test"]["confusion_matrix"]["counts"]
    assert rows[0]["answered"] == 2400 and rows[0]["errors"] == errors[0][1] + errors[1][0]
    assert [r["answered"] for r in rows] == sorted((r["answered"] for r in rows), reverse=True)
    chosen = next(r for r in rows if r["confidence_at_least"] == CARD["unsure_below"])
    assert chosen["error_rate"] < rows[0]["error_rate"]


def test_the_markdown_card_is_rendered_from_the_json_card():
    text = SHIPPED_MODEL.with_suffix(".md").read_text()
    assert text == render_markdown(CARD)
    assert text.startswith(f"# Model card: catsdogs-mobilenetv2 {CARD['version']}\n")
    section = text.split("## How far to trust it")[1].split("\n## ")[0]
    assert f"Above **{CARD['neither']['threshold']:.1f}**" in section
    assert "| test, drawings | 340 | 0.9979 | 98.8% |" in section
    assert "| 0.8 (this card) | 2334 (97.2%) | 14 | 0.60% |" in section
    assert "| chelsea.png | python3-skimage 0.19.3-8 | 451x300 | cat | 2293 | cat |" in section
    assert "still gets a cat or dog answer" not in text


def test_the_new_model_refuses_a_drawing_and_the_previous_never_does():
    new, old = load_classifier(str(SHIPPED_MODEL)), load_classifier(str(PREVIOUS))
    cat = shared_photos("Cat", 1)[0][1]
    for photo, neither in ((drawing(), True), (image_bytes(size=(224, 224)), True), (cat, False)):
        answer, before = new.predict(photo), old.predict(photo)
        assert answer.neither is neither
        assert (before.neither, before.neither_score) == (False, None)
        assert answer.probabilities == before.probabilities  # the same first output
    assert ModelCard.for_model(PREVIOUS).model_version == OLD["version"] == "1.0.0+3081f9d1"


def test_ship_keeps_the_model_it_replaces_unless_made_from_the_kept_one(tmp_path):
    target = tmp_path / "model" / SHIPPED_MODEL.name
    target.parent.mkdir()
    for suffix in (".onnx", ".json", ".md"):
        shutil.copyfile(PREVIOUS.with_suffix(suffix), target.with_suffix(suffix))
    kept = ship.ship(SHIPPED_MODEL, target, CARD, target)
    assert kept == target.parent / "previous" / target.name
    assert kept.read_bytes() == PREVIOUS.read_bytes()
    assert target.read_bytes() == SHIPPED_MODEL.read_bytes()
    assert target.with_suffix(".md").read_text() == SHIPPED_MODEL.with_suffix(".md").read_text()
    assert ship.ship(SHIPPED_MODEL, target, CARD, target) is None  # the same model again
    other = dict(CARD, sha256="0" * 64)  # made again from the kept one: it stays
    assert ship.ship(SHIPPED_MODEL, kept, other, target) is None
    assert kept.read_bytes() == PREVIOUS.read_bytes()


def test_versions_move_the_minor_number():
    assert export.next_minor("1.0.0+3081f9d1") == "1.1.0"
    assert export.next_minor("2.9.3") == "2.10.0"


def test_risk_coverage_counts_what_each_confidence_answers():
    truth = np.array([0, 0, 1, 1])
    p_dog = np.array([0.1, 0.7, 0.95, 0.45])  # right, wrong (0.7), right, wrong (0.55)
    rows = metrics.risk_coverage(truth, p_dog, at=(0.5, 0.6, 0.8, 0.99))
    assert [(r["answered"], r["errors"]) for r in rows] == [(4, 2), (3, 1), (2, 0), (0, 0)]
    assert rows[1]["error_rate"] == pytest.approx(1 / 3, abs=1e-5) and rows[3]["error_rate"] is None


def test_trust_ships_only_when_asked():
    assert cli._parser().parse_args(["trust"]).ship is False
    assert cli._parser().parse_args(["trust", "--ship"]).ship is True
