"""Methods that no route serves are answered before Flask: 405, JSON, and no new metric series.

prometheus_flask_exporter labels its request metrics by method: each invented method that
reached Flask (a 405 on a real path, a 404 elsewhere) added about twenty series that never go
away. A WSGI wrapper answers those requests before any Flask hook sees them.
"""

import json
from collections.abc import Callable, Iterable

from flask import Flask

from catsdogs import monitoring
from catsdogs.errors import ERRORS

StartResponse = Callable[..., object]
WsgiApp = Callable[..., Iterable[bytes]]


class ServedMethodsOnly:
    """Pass on requests whose method some route serves; answer the others 405 with Allow."""

    def __init__(self, app: Flask, wrapped: WsgiApp):
        self.app, self.wrapped = app, wrapped
        self._allowed: frozenset[str] | None = None

    @property
    def allowed(self) -> frozenset[str]:
        """Every method of the app's routes, read once the blueprints are all registered."""
        if self._allowed is None:
            rules = self.app.url_map.iter_rules()
            self._allowed = frozenset(m for rule in rules for m in rule.methods or ())
        return self._allowed

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET") in self.allowed:
            return self.wrapped(environ, start_response)
        # One bounded label (the code) on the errors counter: the probing is seen, not a series.
        monitoring.parts(self.app).telemetry.record_error("method_not_allowed")
        message = ERRORS["method_not_allowed"].sentence
        body = json.dumps({"error": "method_not_allowed", "message": message}).encode()
        start_response(
            "405 Method Not Allowed",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Allow", ", ".join(sorted(self.allowed))),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]


def init_app(app: Flask) -> None:
    """Put the method check in front of everything Flask does for `app`."""
    app.wsgi_app = ServedMethodsOnly(app, app.wsgi_app)  # type: ignore[method-assign]
