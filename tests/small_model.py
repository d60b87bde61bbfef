"""A small stand-in for a backbone of another geometry than the shipped MobileNetV2's.

Its graph has the exported heads' pattern (GlobalAveragePool -> Squeeze -> MatMul -> Add ->
Sigmoid, two heads' P(dog) averaged, output [1 - P(dog), P(dog)]) on a `side`-pixel NHWC input,
each head reading its own convolution to a `grid` x `grid` map; `served` writes it extended by
`trust` with a card, as a model the service can load.
"""

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from catsdogs.card import SHIPPED_MODEL
from catsdogs.training import export
from catsdogs.training.trust import graph, summary

CHANNELS = 4


def small_model(side: int, grid: int) -> onnx.ModelProto:
    """Two heads on their own convolutions of the photo, as the shipped graph's two tops."""
    rng = np.random.default_rng(0)
    weights = {"squeeze_axes": np.array([2, 3]), "half": np.array(0.5), "one": np.array(1.0)}
    nodes = [helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2])]
    step = side // grid  # each cell of the map sees its own step x step square of pixels
    for head in ("a", "b"):
        # 255-scale pixels: small kernel weights keep the logits within a few units.
        weights[f"kernel_{head}"] = rng.normal(0, 0.016 / step, (CHANNELS, 3, step, step))
        weights[f"dense_{head}"] = rng.normal(0, 1, (CHANNELS, 1))
        weights[f"bias_{head}"] = rng.normal(0, 1, (1,))
        nodes += [
            helper.make_node(
                "Conv", ["nchw", f"kernel_{head}"], [f"conv_{head}"], strides=[step, step]
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
        numpy_helper.from_array(np.asarray(value, _dtype(name)), name)
        for name, value in weights.items()
    ]
    model = helper.make_model(
        helper.make_graph(
            nodes,
            "small",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, side, side, 3])],
            [helper.make_tensor_value_info("Identity:0", TensorProto.FLOAT, [None, 2])],
            initializers,
        ),
        opset_imports=[helper.make_opsetid("", 15)],  # the shipped model's
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _dtype(name: str) -> type:
    return np.int64 if name == "squeeze_axes" else np.float32


def served(folder: Path, side: int, grid: int) -> Path:
    """The small model extended with its maps, and its card (the shipped card's, with this
    model's file, input, outputs and map): a model the service loads with MODEL_PATH."""
    path = folder / "catsdogs.onnx"
    onnx.save(graph.extend(small_model(side, grid)), path)
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    tensor_in, outputs = export.io_description(path)
    card.pop("neither")  # no detector: every photo gets a cat or dog answer
    card.update(version="0.1.0+small", sha256=export.file_sha256(path), input=tensor_in)
    card.update(output=outputs[0], outputs=outputs)
    card["preprocessing"]["resize"]["size"] = [side, side]
    card["cam"].update(shape=[None, 2, grid, grid], cell_pixels=summary.cell_pixels(side, grid))
    path.with_suffix(".json").write_text(json.dumps(card, indent=2))
    return path
