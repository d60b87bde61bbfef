"""The Open Inference Protocol (KServe v2 REST) beside the JSON API: health, metadata, infer.

Probes and metadata need no token, as in Triton and KServe; infer takes the API's Bearer token.
Errors are the protocol's `{"error": "<message>"}` (catsdogs.api.errors answers them).
"""

from flask import Response, current_app, json, request
from flask.typing import ResponseReturnValue

from catsdogs import serving

from catsdogs.monitoring import health

from catsdogs.serving import oip
from catsdogs.serving.classifier import Classifier
from catsdogs.api.openapi import BEARER, SETTINGS, ApiBlueprint
from catsdogs.api.protocol_schemas import (
    InferenceRequest,
    InferenceResponse,
    Live,
    ModelMetadata,
    ModelReady,
    ProtocolError,
    Ready,
    ServerMetadata,
)
from catsdogs.errors import ServiceError
from catsdogs.extensions import auth

bp = ApiBlueprint("inference_protocol", __name__, description="Open Inference Protocol (v2)")
MODEL = "/v2/models/<model_name>"
VERSION = "/v2/models/<model_name>/versions/<model_version>"
HEADER_LENGTH = "Inference-Header-Content-Length"
INFER_DOC = {
    "security": BEARER,
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": InferenceRequest}},
    },
    "parameters": [
        {
            "in": "header",
            "name": HEADER_LENGTH,
            "schema": {"type": "integer", "minimum": 0},
            "description": "Binary tensor data extension: the length of the JSON before it",
        }
    ],
}


@bp.route("/v2")
@bp.response(200, ServerMetadata)
def server_metadata():
    """The server's name, version and protocol extensions."""
    name, version = SETTINGS["API_TITLE"], SETTINGS["API_VERSION"]
    return {"name": name, "version": version, "extensions": list(oip.EXTENSIONS)}


@bp.route("/v2/health/live")
@bp.response(200, Live)
def live():
    """Answers while the server can answer."""
    return {"live": True}


@bp.route("/v2/health/ready")
@bp.response(200, Ready)
@bp.alt_response(503, schema=ProtocolError, description="The model is not loaded")
def ready():
    """Ready when the model answers a real prediction now, as /health checks it."""
    _check_ready()
    return {"ready": True}


@bp.route(MODEL)
@bp.route(VERSION)
@bp.response(200, ModelMetadata)
@bp.alt_response(404, schema=ProtocolError, description="Unknown model or version")
def model_metadata(model_name: str, model_version: str | None = None) -> dict:
    """The model's versions, inputs and outputs."""
    return oip.model_metadata(_model(model_name, model_version).card)


@bp.route(f"{MODEL}/ready")
@bp.route(f"{VERSION}/ready")
@bp.response(200, ModelReady)
@bp.alt_response(404, schema=ProtocolError, description="Unknown model or version")
@bp.alt_response(503, schema=ProtocolError, description="The model is not loaded")
def model_ready(model_name: str, model_version: str | None = None) -> ResponseReturnValue:
    """Ready when the model answers a real prediction now."""
    _model(model_name, model_version)
    _check_ready()
    return {"name": model_name, "ready": True}


@bp.route(f"{MODEL}/infer", methods=["POST"])
@bp.route(f"{VERSION}/infer", methods=["POST"])
@bp.doc(**INFER_DOC)
@bp.response(200, InferenceResponse)
@bp.alt_response(400, schema=ProtocolError, description="Bad tensors, batch or image")
@bp.alt_response(401, schema=ProtocolError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ProtocolError, description="The token lacks the `predict` scope")
@bp.alt_response(404, schema=ProtocolError, description="Unknown model or version")
@bp.alt_response(413, schema=ProtocolError, description="Body larger than MAX_UPLOAD_MB")
@bp.alt_response(503, schema=ProtocolError, description="Model unavailable")
@auth.login_required(role="predict")
def infer(model_name: str, model_version: str | None = None) -> ResponseReturnValue:
    """Classify photos (BYTES, base64 in JSON) or resized pixels (FP32); each is stored."""
    # The one that answers, even if swapped meanwhile: the canary for the tokens it routes.
    model, role = _answering(model_name, model_version)
    max_batch = current_app.config["OIP_MAX_BATCH"]
    inference = oip.read_request(
        request.get_data(), request.headers.get(HEADER_LENGTH), model.card, max_batch
    )
    service = serving.parts(current_app).classification
    predictions = service.classify_batch(inference.images, model, role)
    answer, binary = oip.response(inference, predictions, model.card)
    if not binary:
        return answer
    header = json.dumps(answer).encode()
    return Response(
        header + binary,
        mimetype="application/octet-stream",
        headers={HEADER_LENGTH: str(len(header))},
    )


def _model(name: str, version: str | None) -> Classifier:
    """The served classifier, if the path names it (the version is optional)."""
    classifier = serving.parts(current_app).classifier
    if name != oip.MODEL_NAME:
        raise ServiceError(
            "not_found", f"Unknown model {name!r}: this server has {oip.MODEL_NAME}."
        )
    if version not in (None, classifier.model_version):
        raise ServiceError("not_found", f"Unknown version {version!r} of {oip.MODEL_NAME}.")
    return classifier


def _answering(name: str, version: str | None) -> tuple[Classifier, str]:
    """The model that answers this token, and its role; a path naming the champion's version
    gets the champion."""
    _model(name, None)  # an unknown model name is 404 whoever asks
    model, role = serving.parts(current_app).classification.route(f"token:{auth.current_user()}")
    if version in (None, model.model_version):
        return model, role
    return _model(name, version), "champion"


def _check_ready() -> None:
    if not health.model_loaded(serving.parts(current_app).classifier):
        raise ServiceError("model_unavailable", "The model is not loaded or does not answer.")
