"""HTTP hygiene: security headers, session cookie flags, rate limits."""

from flask import Flask, request
from werkzeug.exceptions import NotFound

from catsdogs import ratelimit

# Everything comes from us. The photo preview is drawn on a canvas (no blob: URL); data: images
# are the icons inside Swagger UI's stylesheet on /docs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; img-src 'self' data:"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Set here so that waitress adds no "Server: waitress" of its own.
    "Server": "catsdogs",
}


def init_app(app: Flask) -> None:
    """Add the headers, cookie flags and rate limits to `app`."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.after_request(add_headers)
    app.before_request(ascii_ids_only)
    ratelimit.init_app(app)


def ascii_ids_only() -> None:
    """Refuse ids written in other scripts' digits: routes' \\d and int() take "٢" for 2."""
    ids = any(isinstance(value, int) for value in (request.view_args or {}).values())
    if ids and not request.path.isascii():
        raise NotFound()


def add_headers(response):
    """Set the security headers a view has not set itself."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Flask-Limiter writes Retry-After on every response; it only means something on these.
    retry_after = response.headers.get("Retry-After", "")
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    elif retry_after.lstrip("-").isdigit() and int(retry_after) < 1:
        response.headers["Retry-After"] = "1"  # at a window's last instant it reads 0
    return response
