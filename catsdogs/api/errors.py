"""Errors as JSON, `{"error": <code>, "message": <sentence>}`, never a stack trace.

Codes, statuses and sentences come from the table in catsdogs.errors; the one error handler
(catsdogs.web.errors) calls `json_error` on the API's paths. Under /v2 the Open Inference
Protocol wants `{"error": <sentence>}`. The format is chosen by path, not by a handler of the /v2
blueprint: routing errors (404, 405) and rate limits (429) never reach a blueprint's handlers.
"""

from dataclasses import replace

from flask import Response, current_app, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from catsdogs import monitoring
from catsdogs.errors import ERRORS, STATUS_CODES, UNKNOWN, Error, ServiceError, lookup

KEPT_HEADERS = ("Allow", "Retry-After")


def identify(error: Exception) -> tuple[str, Error]:
    """The code that reports `error` and its line of the table (a crash is internal_error)."""
    if isinstance(error, ServiceError):
        return error.code, lookup(error.code)
    if not isinstance(error, HTTPException):
        return "internal_error", ERRORS["internal_error"]
    status = error.code or 500
    code = STATUS_CODES.get(status)
    if code is None:  # a status no code stands for: say what Werkzeug says
        return "error", replace(UNKNOWN, status=status, sentence=error.description or "")
    return code, ERRORS[code]


def kept_headers(error: Exception) -> dict[str, str]:
    """The headers of an HTTP error that tell the client what to do (Allow, Retry-After)."""
    if not isinstance(error, HTTPException):
        return {}
    return {k: v for k, v in error.get_headers() if k in KEPT_HEADERS}


def json_error(error: Exception) -> Response:
    """The JSON answer to `error`: the service's own message, else the table's sentence."""
    code, entry = identify(error)
    message = error.message if isinstance(error, ServiceError) else entry.sentence
    if isinstance(error, HTTPException) and error.code == 422:  # webargs: say which fields
        message = _describe(getattr(error, "data", {}).get("messages", {}))
    if isinstance(error, RateLimitExceeded):  # which limit, and the setting that raises it
        message = f"Too many requests: at most {error.description}. Retry-After says when."
    return error_response(entry.status, code, message or UNKNOWN.sentence, kept_headers(error))


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The JSON error body, counted in cv_errors_total."""
    monitoring.parts(current_app).telemetry.record_error(code)
    response = jsonify(error=message) if in_protocol() else jsonify(error=code, message=message)
    response.status_code = status
    response.headers.extend(headers or {})
    return response


def wants_json() -> bool:
    return in_protocol() or request.path.startswith(("/api/", "/health", "/metrics", "/openapi"))


def in_protocol() -> bool:
    """True under /v2, the Open Inference Protocol's paths."""
    return request.path == "/v2" or request.path.startswith("/v2/")


def _describe(messages: dict) -> str:
    parts = []
    for location in messages.values():
        for field, problems in location.items():
            text = problems if isinstance(problems, str) else " ".join(map(str, problems))
            parts.append(f"{field}: {text}")
    return "Invalid request. " + "; ".join(parts) if parts else ERRORS["invalid_request"].sentence
