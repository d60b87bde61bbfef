"""JSON API: classify a photo."""

from flask import request

from catsdogs.classify import classify
from catsdogs.errors import ServiceError
from catsdogs.extensions import auth
from catsdogs.openapi import BEARER, ApiBlueprint
from catsdogs.schemas import ApiError, PredictionResult, UploadSchema

bp = ApiBlueprint("predict", __name__, description="Classify a photo as cat or dog")


@bp.route("/api/predict", methods=["POST"])
@bp.response(200, PredictionResult)
@bp.alt_response(400, schema=ApiError, description="Missing, empty or several files; bad consent")
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(413, schema=ApiError, description="Upload or image too large")
@bp.alt_response(415, schema=ApiError, description="Not a decodable image")
@bp.alt_response(503, schema=ApiError, description="Model unavailable")
@bp.doc(security=BEARER)
@auth.login_required
@bp.arguments(UploadSchema, location="form_and_files")
def predict(upload):
    """Classify one uploaded photo (multipart field `file`)."""
    uploads = request.files.getlist("file")
    if not uploads:  # a plain form field named `file` passes the schema but holds no file
        raise ServiceError(400, "missing_file", "Send the photo as a file in the `file` field.")
    if len(uploads) != 1:
        raise ServiceError(400, "too_many_files", "Send exactly one file in the `file` field.")
    return classify(uploads[0].read(), uploads[0].filename, upload["rgpd_consent"])
