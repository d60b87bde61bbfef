"""The shipped graph with more outputs from the same run: pooled features, heatmap, OOD score.

The exported model ends in heads `feature map (N,K,rows,columns) -> GlobalAveragePool ->
Squeeze (Keras) or Flatten (PyTorch) -> MatMul -> Add -> Sigmoid` whose P(dog) are averaged
(MobileNetV2 at 224 px: K 1280, a 7x7 map); the map's grid is read from the graph, so another
backbone gets a map of its own.
Everything added here reads tensors the graph already computes; `Identity:0` stays the first
output and its nodes are untouched, so existing clients (and the Classifier, which reads
outputs[0]) get the same bytes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FEATURES = "features"  # (N, heads x K): each head's pooled feature map, concatenated
HEAD_LOGITS = "head_logits"  # (N, heads): each head's logit for dog, before its sigmoid
CAM = "cam"  # (N, 2, rows, columns): class activation map of cat and dog, heads averaged
SCORE = "neither_score"  # (N,): the detector's score, higher for less pet-like photos
TRUNK_FEATURES = "trunk_features"  # (N, C): the shared trunk's output pooled (measurements only)


@dataclass(frozen=True)
class Head:
    """One sigmoid head: the tensors it reads and writes, and its weights."""

    feature_map: str  # (N, K, rows, columns): out_relu in MobileNetV2
    pooled: str  # the squeezed average, (N, K)
    logit: str  # MatMul + bias, (N, 1)
    weight: np.ndarray  # (K, 1)
    bias: np.ndarray  # (1,)


@dataclass(frozen=True)
class Mahalanobis:
    """A distance in the graph, to the nearest class mean; x is the features, divided by their
    norm when `unit`, and d = x - mean.

    With every direction, projection whitens: the distance is |d @ projection|^2. With the
    largest few, the others share one variance v: the distance is |d|^2 / v (every direction
    at v, `residual` = 1 / v) minus |d @ projection|^2, which corrects the kept directions
    to their own variance. The exact distance for that covariance, from a thin matrix."""

    means: np.ndarray  # (classes, features)
    projection: np.ndarray  # (features, components)
    residual: float = 0.0
    unit: bool = False


@dataclass(frozen=True)
class KNearest:
    """A distance in the graph: 1 - the k-th largest cosine similarity to a bank of photos."""

    bank: np.ndarray  # (photos, features), each row of norm 1
    k: int


def find_heads(graph: onnx.GraphProto) -> list[Head]:
    """Every GlobalAveragePool -> Squeeze or Flatten -> MatMul -> Add chain, in graph order."""
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    readers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)

    def only_reader(tensor: str, *op_types: str) -> onnx.NodeProto:
        nodes = readers.get(tensor, [])
        if len(nodes) != 1 or nodes[0].op_type not in op_types:
            raise ValueError(f"{tensor} is not read by one {' or '.join(op_types)} alone: {nodes}")
        return nodes[0]

    heads = []
    for pool in (n for n in graph.node if n.op_type == "GlobalAveragePool"):
        # (N,K,1,1) to (N,K): Keras's export squeezes, PyTorch's TorchScript exporter flattens
        squeeze = only_reader(pool.output[0], "Squeeze", "Flatten")
        matmul = only_reader(squeeze.output[0], "MatMul")
        add = only_reader(matmul.output[0], "Add")
        only_reader(add.output[0], "Sigmoid")
        bias = next(weights[i] for i in add.input if i in weights)
        heads.append(
            Head(pool.input[0], squeeze.output[0], add.output[0], weights[matmul.input[1]], bias)
        )
    if not heads:
        raise ValueError("no GlobalAveragePool -> MatMul -> Sigmoid head in the graph")
    return heads


def feature_grid(model: onnx.ModelProto, heads: list[Head]) -> tuple[int, int]:
    """The (rows, columns) of the heads' feature maps, from ONNX shape inference: the CAM's."""
    inferred = onnx.shape_inference.infer_shapes(model).graph
    shapes = {
        info.name: tuple(d.dim_value for d in info.type.tensor_type.shape.dim)
        for info in (*inferred.input, *inferred.value_info, *inferred.output)
    }
    grids = {shapes.get(h.feature_map, ())[2:] for h in heads}
    # The heads' maps are averaged cell by cell: they must share one known grid.
    if len(grids) != 1 or any(len(g) != 2 or 0 in g for g in grids):
        raise ValueError(f"the heads' feature maps have no one known grid: {sorted(grids)}")
    rows, columns = grids.pop()
    return rows, columns


def trunk_output(graph: onnx.GraphProto, heads: list[Head]) -> str:
    """The last tensor every head depends on: where the shared trunk ends."""
    producer = {out: node for node in graph.node for out in node.output}

    def ancestors(tensor: str) -> list[str]:
        seen, order, stack = set(), [], [tensor]
        while stack:
            name = stack.pop()
            if name in seen or name not in producer:
                continue
            seen.add(name)
            order.append(name)
            stack.extend(producer[name].input)
        return order

    shared = set.intersection(*(set(ancestors(h.feature_map)) for h in heads))
    position = {out: i for i, node in enumerate(graph.node) for out in node.output}
    return max(shared, key=position.__getitem__)


def base(model: onnx.ModelProto) -> onnx.ModelProto:
    """`model` as it was before `extend`: its first output alone, with only the nodes and
    weights that output needs. The shipped model is an extended one: `trust` starts from this."""
    stripped = onnx.ModelProto()
    stripped.CopyFrom(model)
    graph = stripped.graph
    producer = {out: node for node in graph.node for out in node.output}
    needed, stack = set(), [graph.output[0].name]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(producer[name].input if name in producer else ())
    nodes = [n for n in graph.node if needed.intersection(n.output)]
    weights = [w for w in graph.initializer if w.name in needed]
    del graph.output[1:], graph.node[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(weights)
    return stripped


def extend(
    model: onnx.ModelProto,
    detector: Mahalanobis | KNearest | None = None,
    trunk: bool = False,
) -> onnx.ModelProto:
    """A copy of `model` with features, head logits, CAM and (given a detector) its score."""
    extended = onnx.ModelProto()
    extended.CopyFrom(model)
    graph = extended.graph
    heads = find_heads(graph)
    nodes: list[onnx.NodeProto] = []
    constants: list[onnx.TensorProto] = []
    dims = heads[0].weight.shape[0]
    grid = feature_grid(model, heads)

    def constant(name: str, value: np.ndarray) -> str:
        array = np.asarray(value)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        constants.append(numpy_helper.from_array(array, f"trust/{name}"))
        return f"trust/{name}"

    def node(op: str, inputs: list[str], name: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [f"trust/{name}"], f"trust/{name}", **attributes))
        return f"trust/{name}"

    nodes.append(helper.make_node("Concat", [h.pooled for h in heads], [FEATURES], axis=1))
    nodes.append(helper.make_node("Concat", [h.logit for h in heads], [HEAD_LOGITS], axis=1))
    # A 1x1 convolution with the head's own weights and bias is the head applied to each cell
    # before pooling: by linearity the map's mean is the head's logit, with no gradient.
    maps = []
    for i, head in enumerate(heads):
        kernel = constant(f"w{i}", head.weight.T.reshape(1, -1, 1, 1))
        maps.append(
            node("Conv", [head.feature_map, kernel, constant(f"b{i}", head.bias)], f"cam{i}")
        )
    stacked = node("Concat", maps, "cam_heads", axis=1)
    dog = node("ReduceMean", [stacked], "cam_dog", axes=[1], keepdims=1)
    cat = node("Neg", [dog], "cam_cat")  # the sigmoid's logit for cat is minus dog's
    nodes.append(helper.make_node("Concat", [cat, dog], [CAM], axis=1))
    outputs = [
        helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, [None, dims * len(heads)]),
        helper.make_tensor_value_info(HEAD_LOGITS, TensorProto.FLOAT, [None, len(heads)]),
        helper.make_tensor_value_info(CAM, TensorProto.FLOAT, [None, 2, *grid]),
    ]
    if isinstance(detector, Mahalanobis):
        nodes.append(_mahalanobis(detector, constant, node))
    elif isinstance(detector, KNearest):
        norm = node("ReduceL2", [FEATURES], "norm", axes=[1], keepdims=1)
        unit = node("Div", [FEATURES, norm], "unit")
        similarity = node("MatMul", [unit, constant("bank", detector.bank.T)], "similarity")
        nearest = helper.make_node(
            "TopK", [similarity, constant("k", np.array([detector.k]))], ["trust/top", "trust/i"]
        )
        nodes.append(nearest)
        kth = node("ReduceMin", ["trust/top"], "kth", axes=[1], keepdims=0)
        nodes.append(helper.make_node("Sub", [constant("one", np.array(1.0)), kth], [SCORE]))
    if detector is not None:
        outputs.append(helper.make_tensor_value_info(SCORE, TensorProto.FLOAT, [None]))
    if trunk:
        pooled = node("GlobalAveragePool", [trunk_output(graph, heads)], "trunk_pool")
        nodes.append(helper.make_node("Flatten", [pooled], [TRUNK_FEATURES], axis=1))
        outputs.append(
            helper.make_tensor_value_info(TRUNK_FEATURES, TensorProto.FLOAT, [None, None])
        )
    graph.node.extend(nodes)
    graph.initializer.extend(constants)
    graph.output.extend(outputs)
    onnx.checker.check_model(extended)
    return extended


def _mahalanobis(
    detector: Mahalanobis, constant: Callable[..., str], node: Callable[..., str]
) -> onnx.NodeProto:
    """The nodes of the distance (appended by `node`), and the last one, which writes SCORE."""
    x = FEATURES
    if detector.unit:
        x = node("Div", [x, node("ReduceL2", [x], "norm", axes=[1], keepdims=1)], "unit")
    row = node("Unsqueeze", [x, constant("axis1", np.array([1]))], "row")  # (N, 1, D)
    axis2 = constant("axis2", np.array([2]))
    # Centre before projecting: |x| and |mean| are alike, and their difference is small.
    difference = node("Sub", [row, constant("means", detector.means)], "difference")
    projected = node("MatMul", [difference, constant("projection", detector.projection)], "proj")
    squares = node("Mul", [projected, projected], "squares")
    distances = node("ReduceSum", [squares, axis2], "distances", keepdims=0)
    if detector.residual:
        gaps = node("ReduceSumSquare", [difference], "gaps", axes=[2], keepdims=0)
        weighted = node("Mul", [gaps, constant("residual", np.array(detector.residual))], "rw")
        distances = node("Sub", [weighted, distances], "total")
    return helper.make_node("ReduceMin", [distances], [SCORE], axes=[1], keepdims=0)
