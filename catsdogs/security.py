"""HTTP hygiene: the client's address behind proxies, security headers, session cookie flags,
rate limits, then CSRF."""

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from catsdogs import ratelimit
from catsdogs.extensions import csrf

# Everything comes from us. The photo preview is drawn on a canvas (no blob: URL); data: images
# are the icons inside Swagger UI's stylesheet on /docs and the result's heatmap, made per answer
# and never stored (serving/explain.py).
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
    """Add the proxy fix, headers, cookie flags, rate limits and CSRF checks to `app`."""
    trust_proxies(app, app.config["TRUSTED_PROXY_HOPS"])
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.after_request(add_headers)
    app.before_request(ascii_ids_only)
    ratelimit.init_app(app)
    # Bound after the limiter, so its check runs first: forms refused for a missing or stale
    # CSRF token count against the address like any other request.
    csrf.init_app(app)


def trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address from the last `hops` entries of X-Forwarded-For.

    Only the address: X-Forwarded-Proto would turn on Flask-WTF's strict Referer check for
    https behind proxies that rewrite Host (nginx's default), and X-Forwarded-Host would let a
    client choose the host the app believes it serves. Neither is needed: no URL is absolute.
    """
    if hops:
        fixed = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0, x_host=0)
        app.wsgi_app = fixed  # type: ignore[method-assign]


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
