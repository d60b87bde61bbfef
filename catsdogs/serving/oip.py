"""The Open Inference Protocol (KServe v2) for our one model: metadata, requests, responses.

Read with the protocol's specification (kserve/open-inference-protocol, inference_rest.md).
"""

import json
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from catsdogs.serving import tensors
from catsdogs.card import ModelCard
from catsdogs.errors import ServiceError
from catsdogs.serving.classifier import Answer
from catsdogs.serving.tensors import invalid

MODEL_NAME = "catsdogs"
EXTENSIONS = ("binary_tensor_data",)
# Input name -> datatype: encoded photos, or pixels the client resized itself.
INPUTS = {"image_bytes": "BYTES", "image": "FP32"}
# The label is "neither" for a photo of neither class; a model with the detector also has its score.
OUTPUTS = {"probabilities": "FP32", "label": "BYTES", "neither_score": "FP32"}


@dataclass(frozen=True)
class InferenceRequest:
    """What an inference request asks for, its tensors decoded."""

    id: str | None
    images: list[bytes] | np.ndarray  # encoded images, or (N, height, width, 3) pixels
    outputs: dict[str, bool]  # output name -> sent as binary data


def model_metadata(card: ModelCard) -> dict:
    """The model's metadata: its version, inputs and outputs (-1: any batch size)."""
    width, height = card.input_size
    return {
        "name": MODEL_NAME,
        "versions": [card.model_version],
        "platform": "onnx_onnxv1",
        "inputs": [
            # MLServer's declaration: in JSON, each element is a base64 string.
            {
                "name": "image_bytes",
                "datatype": "BYTES",
                "shape": [-1],
                "parameters": {"content_type": "base64"},
            },
            {"name": "image", "datatype": "FP32", "shape": [-1, height, width, 3]},
        ],
        "outputs": [
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(card.classes)]},
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            *[{"name": name, "datatype": "FP32", "shape": [-1]} for name in _scores(card)],
        ],
    }


def read_request(
    body: bytes, header_length: str | None, card: ModelCard, max_batch: int
) -> InferenceRequest:
    """Check and decode an inference request for the model of `card`."""
    header, binary = tensors.split(body, header_length)
    try:
        request = json.loads(header)
    except (ValueError, RecursionError):
        raise invalid("The body is not a JSON inference request.") from None
    if not isinstance(request, dict):
        raise invalid("The inference request must be a JSON object.")
    request_id, parameters = request.get("id"), _parameters(request)
    if request_id is not None and not isinstance(request_id, str):
        raise invalid("The request id must be a string.")
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise invalid("Send exactly one input: image_bytes (BYTES) or image (FP32).")
    outputs = _outputs(request.get("outputs"), _flag(parameters, "binary_data_output"), card)
    return InferenceRequest(request_id, _images(inputs[0], binary, card, max_batch), outputs)


def response(
    request: InferenceRequest, predictions: list[Answer], card: ModelCard
) -> tuple[dict, bytes]:
    """The inference response, and the binary data that follows its JSON (empty if none)."""
    values: dict[str, np.ndarray | list[str]] = {
        "probabilities": np.array(
            [[p.probabilities[name] for name in card.classes] for p in predictions], "<f4"
        ),
        "label": [p.verdict for p in predictions],
        "neither_score": np.array([p.neither_score for p in predictions], "<f4"),
    }
    outputs: list[dict] = []
    binary: list[bytes] = []
    for name, as_binary in request.outputs.items():
        output: dict[str, object] = {
            "name": name,
            "datatype": OUTPUTS[name],
            "shape": list(np.shape(values[name])),
        }
        if as_binary:
            binary.append(tensors.pack(values[name]))
            output["parameters"] = {"binary_data_size": len(binary[-1])}
        else:
            output["data"] = np.ravel(values[name]).tolist()
        outputs.append(output)
    answer = {"model_name": MODEL_NAME, "model_version": card.model_version, "outputs": outputs}
    if request.id is not None:
        answer["id"] = request.id
    return answer, b"".join(binary)


def _parameters(tensor: dict) -> dict:
    parameters = tensor.get("parameters", {})
    if not isinstance(parameters, dict):
        raise invalid("parameters must be a JSON object.")
    return parameters


def _flag(parameters: dict, name: str, default: bool = False) -> bool:
    value = parameters.get(name, default)
    if not isinstance(value, bool):
        raise invalid(f"The {name} parameter must be true or false.")
    return value


def _known(name: object, table: dict) -> TypeGuard[str]:
    return isinstance(name, str) and name in table


def _scores(card: ModelCard) -> list[str]:
    """The score outputs this model has: the detector's, when its card names one."""
    return ["neither_score"] if card.neither_output else []


def _outputs(requested: object, binary: bool, card: ModelCard) -> dict[str, bool]:
    """Output name -> as binary data; all the model's outputs when none is named."""
    available = {name: OUTPUTS[name] for name in ("probabilities", "label", *_scores(card))}
    if requested is None or requested == []:
        return dict.fromkeys(available, binary)
    if not isinstance(requested, list) or not all(isinstance(o, dict) for o in requested):
        raise invalid("outputs must be a list of objects with a name.")
    if unknown := [o.get("name") for o in requested if not _known(o.get("name"), available)]:
        raise invalid(f"Unknown output {unknown[0]!r}: ask for {', '.join(available)}.")
    return {o["name"]: _flag(_parameters(o), "binary_data", binary) for o in requested}


def _images(
    tensor: dict, binary: bytes, card: ModelCard, max_batch: int
) -> list[bytes] | np.ndarray:
    name, datatype, shape = tensor.get("name"), tensor.get("datatype"), tensor.get("shape")
    if not _known(name, INPUTS):
        raise invalid(f"Unknown input {name!r}: send image_bytes (BYTES) or image (FP32).")
    if datatype != INPUTS[name]:
        raise invalid(f"Input {name} must be {INPUTS[name]}, not {datatype!r}.")
    width, height = card.input_size
    allowed = "[N] or [N, 1]" if name == "image_bytes" else f"[N, {height}, {width}, 3]"
    dims = shape if isinstance(shape, list) and all(map(tensors.is_count, shape)) else []
    if not dims or dims not in _shapes(name, dims[0], card):
        raise invalid(f"Input {name} must have the shape {allowed}, not {shape!r}.")
    if dims[0] == 0:
        raise invalid("The batch is empty: send at least one image.")
    if dims[0] > max_batch:
        raise ServiceError("too_many_images", f"At most {max_batch} images per request.")
    parameters = _parameters(tensor)
    raw = tensors.binary_part(tensor, parameters, binary)
    if name == "image":
        return tensors.pixels(raw, tensor.get("data"), dims)
    if raw is not None:
        return tensors.unpack(raw, dims[0])
    return tensors.from_base64(
        tensor.get("data"), dims[0], parameters.get("content_type", "base64")
    )


def _shapes(name: str, batch: int, card: ModelCard) -> list[list[int]]:
    """The shapes an input may have for a batch of `batch` images."""
    width, height = card.input_size
    return [[batch], [batch, 1]] if name == "image_bytes" else [[batch, height, width, 3]]
