"""A model that says "not a cat or a dog" on cue, for the tests of what watches that answer.

The shipped model with a stand-in detector: its score is the cat probability, so with a
threshold of 0.5 every cat photo is refused and every dog photo answered. The real detector's
figures do not matter to model health, only that the card names a score and its threshold.
"""

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from catsdogs.card import SHIPPED_MODEL

OUTPUT = "stand_in_score"
THRESHOLD = 0.5
REFUSED_PETS = 0.00958  # the shipped detector's share of test pets refused


def with_detector(folder: Path, test_figures: bool = True) -> Path:
    """Write the stand-in model and its card into `folder`; return the model's path."""
    model = onnx.load(SHIPPED_MODEL)
    first = model.graph.output[0].name
    weights = numpy_helper.from_array(np.array([1.0, 0.0], np.float32), "stand_in_weights")
    model.graph.initializer.append(weights)
    # (N, 2) @ (2,) -> (N,): one score per photo, as the real detector's output.
    model.graph.node.append(helper.make_node("MatMul", [first, weights.name], [OUTPUT]))
    model.graph.output.append(helper.make_tensor_value_info(OUTPUT, onnx.TensorProto.FLOAT, [None]))
    path = folder / "with-detector.onnx"
    onnx.save(model, path)
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    card["version"] = "1.1.0+detector"
    card["neither"] = {"output": OUTPUT, "threshold": THRESHOLD}
    if test_figures:
        card["neither"]["test"] = {"refused_pets": REFUSED_PETS}
    path.with_suffix(".json").write_text(json.dumps(card))
    return path


def without_detector(folder: Path) -> Path:
    """The shipped model under a card that names no detector (whether or not it has one)."""
    path = folder / "without-detector.onnx"
    path.write_bytes(SHIPPED_MODEL.read_bytes())
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    card["version"] = "1.0.0+no-detector"
    card.pop("neither", None)
    path.with_suffix(".json").write_text(json.dumps(card))
    return path
