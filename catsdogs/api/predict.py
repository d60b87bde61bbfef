"""JSON API: classify a photo."""

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from catsdogs import serving
from catsdogs.api.openapi import BEARER, ApiBlueprint
from catsdogs.api.predict_schemas import PredictionResult, UploadSchema
from catsdogs.api.schemas import ApiError
from catsdogs.errors import ServiceError
from catsdogs.extensions import auth

bp = ApiBlueprint("predict", __name__, description="Classify a photo as cat or dog")


@bp.route("/api/predict", methods=["POST"])
@bp.response(200, PredictionResult)
@bp.alt_response(400, schema=ApiError, description="Missing, empty or several files; bad consent")
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ApiError, description="The token lacks the `predict` scope")
@bp.alt_response(413, schema=ApiError, description="Upload or image too large")
@bp.alt_response(415, schema=ApiError, description="Not a decodable image")
@bp.alt_response(503, schema=ApiError, description="Model unavailable")
@bp.doc(security=BEARER)
@auth.login_required(role="predict")
@bp.arguments(UploadSchema, location="form_and_files")
def predict(form):
    """Classify one uploaded photo (multipart field `file`)."""
    upload = form["file"]
    if not isinstance(upload, FileStorage):  # a text field named `file` passes the schema
        raise ServiceError("missing_file", "Send the photo as a file in the `file` field.")
    if len(request.files.getlist("file")) > 1:
        raise ServiceError("too_many_files", "Send exactly one file in the `file` field.")
    service = serving.parts(current_app).classification
    return service.classify(  # a token's photos count against the token's own quota
        upload.read(),
        upload.filename,
        form["rgpd_consent"],
        form["training_consent"],
        client=f"token:{auth.current_user()}",
        explain=form["explain"],
    )
