"""Errors the API reports as `{"error": <code>, "message": <sentence>}`, never a stack trace."""

import logging

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

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


class ServiceError(Exception):
    """An expected failure with its HTTP status, short code and plain-English message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def count(code: str) -> None:
    """Count a failed request by its error code (cv_errors_total)."""
    telemetry = current_app.extensions.get("catsdogs.telemetry")
    if telemetry is not None:
        telemetry.record_error(code)


def error_response(status: int, code: str, message: str, headers=None):
    count(code)
    response = jsonify(error=code, message=message)
    response.status_code = status
    response.headers.extend(headers or {})
    return response


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/health", "/metrics", "/openapi"))


def handle_service_error(error: ServiceError):
    return error_response(error.status, error.code, error.message)


def handle_http_exception(error: HTTPException):
    """JSON for API paths; the plain HTTP page elsewhere."""
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
    return "Something went wrong on our side.", 500


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
