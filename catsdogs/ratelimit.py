"""Rate limits per API token and per client address (Flask-Limiter), answered 429 + Retry-After.

A request with a valid token counts against its token only: a client sharing an address (an
office, a carrier's NAT) with a noisy neighbour keeps working. The address is the one ProxyFix
takes from X-Forwarded-For when TRUSTED_PROXY_HOPS says a proxy is in front (catsdogs.security).
"""

from flask import Flask, request
from flask_limiter import ApplicationLimit, Limiter
from limits.storage import Storage
from flask_limiter.util import get_remote_address

from catsdogs.api.auth import verify_token

# Probes, scrapes and static files are never limited: a throttled /health would page someone.
EXEMPT_PATHS = ("/health", "/v2/health/", "/metrics", "/static/", "/docs/assets/")
# Password guesses on the review page's login: a few a minute per address is plenty for a person.
LOGIN_LIMIT = "10/minute"
# ...and from all addresses together: many addresses guessing at once get no more between them.
LOGIN_LIMIT_ALL = "30/minute"
LOGIN_ENDPOINT = "review.login"


def not_login() -> bool:
    return not (request.method == "POST" and request.endpoint == LOGIN_ENDPOINT)


def token_name() -> str:
    """The name of the valid Bearer token sent, or "" (then only the address limit applies)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return ""
    return verify_token(token.strip()) or ""


def described(app: Flask, setting: str, per: str) -> str:
    """The limit a client ran into, as the 429's message names it: value, scope and setting."""
    return f"{app.config[setting]} {per} (the setting {setting})"


def init_app(app: Flask) -> Limiter:
    """Create this app's limiter (its own memory storage unless RATELIMIT_STORAGE_URI says)."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # If a shared storage (Redis...) is down, serve unlimited rather than answer 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    per_token = ApplicationLimit(
        lambda: app.config["RATE_LIMIT_PER_TOKEN"],
        key_function=lambda: f"token:{token_name()}",
        scope="token",
        exempt_when=lambda: not token_name(),
        error_message=lambda: described(app, "RATE_LIMIT_PER_TOKEN", "per API token"),
    )
    per_address = ApplicationLimit(
        lambda: app.config["RATE_LIMIT_PER_ADDRESS"],
        key_function=get_remote_address,
        scope="address",
        exempt_when=lambda: bool(token_name()),
        error_message=lambda: described(app, "RATE_LIMIT_PER_ADDRESS", "per client address"),
    )
    per_login = ApplicationLimit(
        LOGIN_LIMIT, key_function=get_remote_address, scope="login", exempt_when=not_login,
        error_message=f"{LOGIN_LIMIT} review logins per client address",
    )  # fmt: skip
    all_logins = ApplicationLimit(
        LOGIN_LIMIT_ALL, key_function=lambda: "all", scope="login-all", exempt_when=not_login,
        error_message=f"{LOGIN_LIMIT_ALL} review logins from all addresses together",
    )  # fmt: skip
    limiter = Limiter(
        get_remote_address,
        application_limits=[per_token, per_address, per_login, all_logins],
        retry_after="delta-seconds",
        key_prefix="catsdogs",
    )
    limiter.request_filter(lambda: request.path.startswith(EXEMPT_PATHS))
    limiter.init_app(app)
    return limiter


def storage(app: Flask) -> Storage:
    """The limits' storage, shared by the replicas when RATELIMIT_STORAGE_URI says so."""
    [limiter] = app.extensions.get("limiter", ())  # Flask-Limiter keeps the app's one limiter
    return limiter.storage


def login_open(app: Flask) -> bool:
    """Whether the limit storage answers: the review login fails closed without its limits."""
    return storage(app).check()
