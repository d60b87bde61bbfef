"""Schemas of the Open Inference Protocol's bodies, for /openapi.json.

The infer view reads its body itself (binary tensor data may follow the JSON), so the request
schema documents the JSON form; the responses are dumped through these schemas.
"""

import marshmallow as ma

from catsdogs.api.schemas import Strict
from catsdogs.serving.oip import INPUTS, OUTPUTS

# OpenAPI's "any value": a tensor's data, a parameter's value.
ANY = {"nullable": True}
DATATYPES = sorted({*INPUTS.values(), *OUTPUTS.values()})


def parameter_map() -> ma.fields.Dict:
    """A `parameters` object: names to any values."""
    return ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(metadata=ANY))


class ProtocolError(ma.Schema):
    error = ma.fields.String(required=True, metadata={"description": "Plain sentence"})


class ServerMetadata(ma.Schema):
    name = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    extensions = ma.fields.List(ma.fields.String(), required=True)


class Live(ma.Schema):
    live = ma.fields.Boolean(required=True)


class Ready(ma.Schema):
    ready = ma.fields.Boolean(required=True)


class ModelReady(Ready):
    name = ma.fields.String(required=True)


class TensorMetadata(ma.Schema):
    name = ma.fields.String(required=True)
    datatype = ma.fields.String(required=True, validate=ma.validate.OneOf(DATATYPES))
    shape = ma.fields.List(ma.fields.Integer(), required=True)
    parameters = parameter_map()


class ModelMetadata(ma.Schema):
    name = ma.fields.String(required=True)
    versions = ma.fields.List(ma.fields.String())
    platform = ma.fields.String(required=True)
    inputs = ma.fields.List(ma.fields.Nested(TensorMetadata), required=True)
    outputs = ma.fields.List(ma.fields.Nested(TensorMetadata), required=True)


class RequestInput(Strict):
    name = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(list(INPUTS)),
        metadata={"description": "image_bytes (BYTES) or image (FP32)"},
    )
    shape = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=0)),
        required=True,
        metadata={"description": "image_bytes: [N] or [N, 1]; image: [N, height, width, 3]"},
    )
    datatype = ma.fields.String(required=True, validate=ma.validate.OneOf(list(INPUTS.values())))
    parameters = parameter_map()
    data = ma.fields.List(
        ma.fields.Raw(metadata=ANY),
        metadata={"description": "Base64 photos (BYTES) or pixels 0-255, row-major (FP32)"},
    )


class RequestOutput(Strict):
    name = ma.fields.String(required=True, validate=ma.validate.OneOf(list(OUTPUTS)))
    parameters = parameter_map()


class InferenceRequest(Strict):
    id = ma.fields.String()
    parameters = parameter_map()
    inputs = ma.fields.List(
        ma.fields.Nested(RequestInput), required=True, validate=ma.validate.Length(equal=1)
    )
    outputs = ma.fields.List(ma.fields.Nested(RequestOutput))


class ResponseOutput(ma.Schema):
    name = ma.fields.String(required=True)
    datatype = ma.fields.String(required=True, validate=ma.validate.OneOf(DATATYPES))
    shape = ma.fields.List(ma.fields.Integer(), required=True)
    parameters = parameter_map()
    data = ma.fields.List(ma.fields.Raw(metadata=ANY))


class InferenceResponse(ma.Schema):
    model_name = ma.fields.String(required=True)
    model_version = ma.fields.String(required=True)
    id = ma.fields.String()
    parameters = parameter_map()
    outputs = ma.fields.List(ma.fields.Nested(ResponseOutput), required=True)
