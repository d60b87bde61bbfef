"""Bearer-token authentication for the JSON API (several named tokens, so one can be revoked)."""

import hmac

from flask import Response, current_app, request

from catsdogs.api.errors import error_response
from catsdogs.extensions import auth

QUERY_TOKEN_NAMES = ("token", "access_token", "api_token", "api_key")


@auth.verify_token
def verify_token(token: str) -> str | None:
    """Return the name of the matching token; compare every token in constant time."""
    if not token or any(name in request.args for name in QUERY_TOKEN_NAMES):
        return None
    match = None
    for name, expected in current_app.config["API_TOKENS"].items():
        if hmac.compare_digest(token.encode(), expected.encode()):
            match = name
    return match


@auth.error_handler
def auth_error(status: int) -> Response:
    if any(name in request.args for name in QUERY_TOKEN_NAMES):
        return error_response(
            401, "token_in_query", "Send the token in the Authorization header, not in the URL."
        )
    return error_response(
        status,
        "unauthorized",
        "A valid API token is required: Authorization: Bearer <token>.",
        {"WWW-Authenticate": 'Bearer realm="catsdogs"'},
    )
