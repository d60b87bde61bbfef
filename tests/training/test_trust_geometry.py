"""`trust` on a backbone of another geometry: the map's grid and cells come from the model.

A small two-headed graph stands in for one (tests/small_model.py): a 48-pixel input, a 6x6 map.
"""

import json

import numpy as np
import onnx
import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.training.trust import card_text, compare, extract, faithfulness, graph, summary
from tests.small_model import small_model

SIDE, GRID = 48, 6
CARD = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    path = tmp_path_factory.mktemp("geometry") / "extended.onnx"
    onnx.save(graph.extend(small_model(SIDE, GRID)), path)
    return path


def photos() -> np.ndarray:
    """Flat colours with noise in a corner: maps that vary, answers of both classes."""
    colours = [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (128,) * 3]
    pixels = np.stack([np.full((SIDE, SIDE, 3), colour, np.uint8) for colour in colours])
    pixels[:, :20, :20] = np.random.default_rng(1).integers(0, 256, (len(colours), 20, 20, 3))
    return pixels


def test_the_grid_is_read_from_the_graph():
    model = small_model(SIDE, GRID)
    assert graph.feature_grid(model, graph.find_heads(model.graph)) == (GRID, GRID)
    assert summary.geometry(model, SIDE) == {"input_side": SIDE, "grid": [GRID, GRID]}
    shipped = graph.base(onnx.load(SHIPPED_MODEL))
    assert graph.feature_grid(shipped, graph.find_heads(shipped.graph)) == (7, 7)


def test_the_map_has_the_backbone_s_grid_and_averages_to_the_logit(extended):
    declared = onnx.load(extended).graph.output
    cam_shape = next(o for o in declared if o.name == graph.CAM).type.tensor_type.shape.dim
    assert [d.dim_value for d in cam_shape][1:] == [2, GRID, GRID]
    outputs = extract.run(extract.session(extended), photos())
    cam, logits = outputs[graph.CAM], outputs[graph.HEAD_LOGITS].mean(axis=1)
    assert cam.shape == (6, 2, GRID, GRID)
    assert np.abs(cam[:, 1].mean(axis=(1, 2)) - logits).max() < 1e-5
    assert np.array_equal(cam[:, 0], -cam[:, 1])
    assert np.array_equal(logits > 0, outputs["Identity:0"][:, 1] > 0.5)
    assert 0 < np.sum(logits > 0) < len(logits) and cam.std(axis=(2, 3)).min() > 0.1


def test_a_window_hides_the_pixels_of_its_cells_on_that_grid():
    hidden = faithfulness.hide(np.zeros((SIDE, SIDE, 3), np.uint8), (1, 2), 2, (GRID, GRID))
    assert (hidden[8:24, 16:32] == faithfulness.GREY).all()
    assert hidden.sum() == 16 * 16 * 3 * faithfulness.GREY


def test_the_faithfulness_check_runs_on_the_model_s_grid(extended):
    found = faithfulness.check(extract.session(extended), photos(), size=2, draws=2)
    assert found["window_cells"] == 2 and found["window_share_of_image"] == round(4 / 36, 4)
    assert found["photos"] == 6


def report(geometry: dict) -> tuple[compare.Candidate, dict]:
    """The shipped card's own figures as a `trust` report, for a model of that geometry."""
    neither = CARD["neither"]
    chosen = compare.Candidate(
        neither["detector"], lambda o: o, graph.Mahalanobis(np.zeros((2, 1)), np.ones((1, 1)))
    )
    return chosen, {
        "test": neither["test"],
        "calibration": neither["calibration"],
        "chosen": {"why": neither["why"]},
        "threshold": {
            "value": neither["threshold"],
            "rule": neither["threshold_rule"],
            "why": neither["threshold_why"],
        },
        "nonpet_set": neither["nonpet_set"],
        "accuracy": neither["accuracy"],
        "real_photos": neither["real_photos"],
        "faithfulness": {"2x2": CARD["cam"]["faithfulness"]},
        "geometry": geometry,
    }


def test_the_shipped_model_s_geometry_gives_its_card_s_sections_unchanged():
    shipped = graph.base(onnx.load(SHIPPED_MODEL))
    side = ModelCard.for_model(SHIPPED_MODEL).input_size[0]
    fields = summary.card_fields(*report(summary.geometry(shipped, side)))
    assert fields["cam"] == CARD["cam"] and fields["neither"] == CARD["neither"]


@pytest.mark.parametrize(
    "side, grid, cell, said",
    [(SIDE, GRID, 8, "6x6 mean"), (240, 8, 30, "8x8 mean"), (224, 7, 32, "7x7 mean")],
)
def test_the_card_says_the_model_s_grid_and_cell_size(side, grid, cell, said):
    cam = summary.card_fields(*report({"input_side": side, "grid": [grid, grid]}))["cam"]
    assert cam["shape"] == [None, 2, grid, grid] and cam["cell_pixels"] == cell
    assert said in cam["meaning"]
    text = "\n".join(card_text._heatmap(cam))
    assert f"[2, {grid}, {grid}]" in text
    assert f"Each cell covers {cell} pixels a side of the {side}x{side} input" in text
