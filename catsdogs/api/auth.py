"""Bearer-token authentication for the JSON API (several named tokens, so one can be revoked)."""

import hmac

from flask import Response, current_app, request

from catsdogs.api.errors import error_response
from catsdogs.config import SCOPES
from catsdogs.errors import ERRORS
from catsdogs.extensions import auth

QUERY_TOKEN_NAMES = ("token", "access_token", "api_token", "api_key")
# Where a caller finds the token: the service's operator has it, never the caller's browser.
TOKEN_HELP = (
    "The token is the service's API_TOKEN or one of API_TOKENS (its environment); `make run` "
    "prints the one it generates (docs/api.md)."
)


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


@auth.get_user_roles
def token_scopes(name: str) -> tuple[str, ...]:
    """What the token `name` may do: its API_TOKENS scopes, else all (API_TOKEN, name:token)."""
    return current_app.config["API_TOKEN_SCOPES"].get(name, SCOPES)


def may(scope: str) -> bool:
    """Whether this request carries a valid token with `scope` (for optional-login endpoints)."""
    name = auth.current_user()
    return bool(name) and scope in token_scopes(name)


@auth.error_handler
def auth_error(status: int) -> Response:
    if status == 403:  # a valid token without the endpoint's scope
        return error_response(403, "insufficient_scope", ERRORS["insufficient_scope"].sentence)
    if any(name in request.args for name in QUERY_TOKEN_NAMES):
        return error_response(
            401, "token_in_query", "Send the token in the Authorization header, not in the URL."
        )
    return error_response(
        status,
        "unauthorized",
        "A valid API token is required: Authorization: Bearer <token>. " + TOKEN_HELP,
        {"WWW-Authenticate": 'Bearer realm="catsdogs"'},
    )
