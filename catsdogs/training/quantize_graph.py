"""Which nodes of the model the INT8 copy quantizes: the backbone's, less its two ends.

Found from the graph's shape, not from node names (the exporter numbers those): the backbone is
what feeds the global average pools; everything after them (heads, class maps, the detector)
is small and stays FP32, and so are the first convolution, which sees raw pixels, and the last
convolution before each pool, whose outputs the heads, maps and detector all read.
"""

import onnx


def nodes_to_quantize(model: onnx.ModelProto, operators: tuple[str, ...]) -> list[str]:
    """Names of the `operators` nodes between the first convolution and the last ones."""
    nodes = list(model.graph.node)
    producer = {output: node for node in nodes for output in node.output}
    pools = [node for node in nodes if node.op_type == "GlobalAveragePool"]
    first = next(i for i, node in enumerate(nodes) if node.op_type == "Conv")
    last = {_conv_before(pool, producer).name for pool in pools}
    backbone = _ancestors(pools, producer)
    return [
        node.name
        for i, node in enumerate(nodes)
        if i > first
        and node.op_type in operators
        and node.name in backbone
        and node.name not in last
    ]


def _ancestors(nodes: list[onnx.NodeProto], producer: dict) -> set[str]:
    """Names of every node whose outputs `nodes` read, directly or not."""
    seen: set[str] = set()
    stack = list(nodes)
    while stack:
        for name in stack.pop().input:
            node = producer.get(name)
            if node is not None and node.name not in seen:
                seen.add(node.name)
                stack.append(node)
    return seen


def _conv_before(node: onnx.NodeProto, producer: dict) -> onnx.NodeProto:
    """The convolution that `node` reads through element-wise steps (the ReLU6 Clip)."""
    while node.op_type != "Conv":
        node = producer[node.input[0]]
    return node
