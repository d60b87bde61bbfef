"""`trust` on a backbone of another geometry: the map's grid and cells come from the model.

A small two-headed graph stands in for one: a 48-pixel NHWC input, a convolution per head to a
6x6 map, and the exported heads' pattern (GlobalAveragePool -> Squeeze -> MatMul -> Add ->
Sigmoid, P(dog) averaged, output [1 - P(dog), P(dog)]).
"""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.training.trust import card_text, compare, extract, faithfulness, graph, summary

SIDE, GRID, CHANNELS = 48, 6, 4
CARD = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())


def small_model() -> onnx.ModelProto:
    """Two heads on their own convolutions of the photo, as the shipped graph's two tops."""
    rng = np.random.default_rng(0)
    weights = {"squeeze_axes": np.array([2, 3]), "half": np.array(0.5), "one": np.array(1.0)}
    nodes = [helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2])]
    step = SIDE // GRID  # each cell of the map sees its own step x step square of pixels
    for head in ("a", "b"):
        # 255-scale pixels: small kernel weights keep the logits within a few units.
        weights[f"kernel_{head}"] = rng.normal(0, 0.002, (CHANNELS, 3, step, step))
        weights[f"dense_{head}"] = rng.normal(0, 1, (CHANNELS, 1))
        weights[f"bias_{head}"] = rng.normal(0, 1, (1,))
        nodes += [
            helper.make_node(
                "Conv", ["nchw", f"kernel_{head}"], [f"conv_{head}"], strides=[step] * 2
            ),
            helper.make_node("Relu", [f"conv_{head}"], [f"map_{head}"]),
            helper.make_node("GlobalAveragePool", [f"map_{head}"], [f"pool_{head}"]),
            helper.make_node("Squeeze", [f"pool_{head}", "squeeze_axes"], [f"pooled_{head}"]),
            helper.make_node("MatMul", [f"pooled_{head}", f"dense_{head}"], [f"dot_{head}"]),
            helper.make_node("Add", [f"dot_{head}", f"bias_{head}"], [f"logit_{head}"]),
            helper.make_node("Sigmoid", [f"logit_{head}"], [f"p_{head}"]),
        ]
    nodes += [
        helper.make_node("Add", ["p_a", "p_b"], ["p_sum"]),
        helper.make_node("Mul", ["p_sum", "half"], ["p_dog"]),
        helper.make_node("Sub", ["one", "p_dog"], ["p_cat"]),
        helper.make_node("Concat", ["p_cat", "p_dog"], ["Identity:0"], axis=1),
    ]
    initializers = [
        numpy_helper.from_array(
            value.astype(np.int64 if name == "squeeze_axes" else np.float32), name
        )
        for name, value in weights.items()
    ]
    model = helper.make_model(
        helper.make_graph(
            nodes,
            "small",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, SIDE, SIDE, 3])],
            [helper.make_tensor_value_info("Identity:0", TensorProto.FLOAT, [None, 2])],
            initializers,
        ),
        opset_imports=[helper.make_opsetid("", 15)],
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    path = tmp_path_factory.mktemp("geometry") / "extended.onnx"
    onnx.save(graph.extend(small_model()), path)
    return path


def photos(count: int = 6) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (count, SIDE, SIDE, 3), dtype=np.uint8)


def test_the_grid_is_read_from_the_graph():
    model = small_model()
    assert graph.feature_grid(model, graph.find_heads(model.graph)) == (GRID, GRID)
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


def test_a_window_hides_the_pixels_of_its_cells_on_that_grid():
    hidden = faithfulness.hide(np.zeros((SIDE, SIDE, 3), np.uint8), (1, 2), 2, (GRID, GRID))
    assert (hidden[8:24, 16:32] == faithfulness.GREY).all()
    assert hidden.sum() == 16 * 16 * 3 * faithfulness.GREY


def test_the_faithfulness_check_runs_on_the_model_s_grid(extended):
    found = faithfulness.check(extract.session(extended), photos(), size=2, draws=2)
    assert found["window_cells"] == 2 and found["window_share_of_image"] == round(4 / 36, 4)
    assert found["photos"] == 6


def report(side: int, grid: list[int]) -> tuple[compare.Candidate, dict]:
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
        "geometry": {"input_side": side, "grid": grid},
    }


def test_the_shipped_model_s_geometry_gives_its_card_s_sections_unchanged():
    shipped = graph.base(onnx.load(SHIPPED_MODEL))
    grid = graph.feature_grid(shipped, graph.find_heads(shipped.graph))
    side = ModelCard.for_model(SHIPPED_MODEL).input_size[0]
    fields = summary.card_fields(*report(side, list(grid)))
    assert fields["cam"] == CARD["cam"] and fields["neither"] == CARD["neither"]


@pytest.mark.parametrize(
    "side, grid, cell, said",
    [(SIDE, GRID, 8, "6x6 mean"), (240, 8, 30, "8x8 mean"), (224, 7, 32, "7x7 mean")],
)
def test_the_card_says_the_model_s_grid_and_cell_size(side, grid, cell, said):
    cam = summary.card_fields(*report(side, [grid, grid]))["cam"]
    assert cam["shape"] == [None, 2, grid, grid] and cam["cell_pixels"] == cell
    assert said in cam["meaning"]
    text = "\n".join(card_text._heatmap(cam))
    assert f"[2, {grid}, {grid}]" in text
    assert f"Each cell covers {cell} pixels a side of the {side}x{side} input" in text
