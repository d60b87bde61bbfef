"""Errors as JSON, `{"error": <code>, "message": <sentence>}`, never a stack trace.

Under /v2 the Open Inference Protocol wants `{"error": <sentence>}`. The format is chosen here
by path, not by a handler of the /v2 blueprint: routing errors (404, 405) and rate limits (429)
never reach a blueprint's handlers.
"""

import logging

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from catsdogs import state
from catsdogs.errors import ServiceError

log = logging.getLogger(__name__)

# The HTTP status of each failure the services report.
SERVICE_STATUS = {
    "invalid_request": 400,
    "invalid_tensor": 400,
    "invalid_image": 400,
    "too_many_images": 400,
    "missing_file": 400,
    "too_many_files": 400,
    "empty_file": 400,
    "comment_too_long": 400,
    "training_consent_without_consent": 400,
    "no_consent": 403,
    "not_found": 404,
    "image_too_large": 413,
    "not_an_image": 415,
    "no_registry": 409,
    "model_unavailable": 503,
}
# Short codes for HTTP errors raised by Flask, Werkzeug or webargs rather than by our code.
HTTP_CODES = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "A valid API token is required."),
    403: ("forbidden", "This action is not allowed."),
    404: ("not_found", "Nothing exists at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("file_too_large", "The upload is larger than the allowed size."),
    415: ("unsupported_media_type", "This content type is not supported."),
    422: ("invalid_request", "The request parameters are invalid."),
    429: ("rate_limited", "Too many requests; try again later."),
}


def status_for(error: ServiceError) -> int:
    """The HTTP status that reports `error`."""
    return SERVICE_STATUS[error.code]


def error_response(status: int, code: str, message: str, headers=None):
    """The JSON error body, counted in cv_errors_total."""
    state.telemetry().record_error(code)
    response = jsonify(error=message) if in_protocol() else jsonify(error=code, message=message)
    response.status_code = status
    response.headers.extend(headers or {})
    return response


def wants_json() -> bool:
    return in_protocol() or request.path.startswith(("/api/", "/health", "/metrics", "/openapi"))


def in_protocol() -> bool:
    """True under /v2, the Open Inference Protocol's paths."""
    return request.path == "/v2" or request.path.startswith("/v2/")


def handle_service_error(error: ServiceError):
    return error_response(status_for(error), error.code, error.message)


def handle_http_exception(error: HTTPException):
    """JSON for API paths; elsewhere Werkzeug's page (catsdogs.web.errors answers first)."""
    if not wants_json():
        return error
    status = error.code or 500
    code, message = HTTP_CODES.get(status, ("error", error.description or "Request failed."))
    if status == 422:  # webargs validation: say which fields, and call it a 400
        status, message = 400, _describe(getattr(error, "data", {}).get("messages", {}))
    headers = {k: v for k, v in error.get_headers() if k in ("Allow", "Retry-After")}
    return error_response(status, code, message, headers)


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return error_response(500, "internal_error", "Something went wrong on our side.")
    # The 500 handler of the pages (catsdogs.web.errors) answers in the page's language.
    return current_app.handle_http_exception(InternalServerError(original_exception=error))


def _describe(messages: dict) -> str:
    parts = []
    for location in messages.values():
        for field, problems in location.items():
            text = problems if isinstance(problems, str) else " ".join(map(str, problems))
            parts.append(f"{field}: {text}")
    return "Invalid request. " + "; ".join(parts) if parts else HTTP_CODES[422][1]


def register(app) -> None:
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
