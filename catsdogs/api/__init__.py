"""The JSON API and the Open Inference Protocol (/v2): blueprints documented at /openapi.json."""

from flask import Flask

from catsdogs.api import auth, feedback, inference_protocol, methods, monitoring, openapi, predict
from catsdogs.extensions import csrf

__all__ = ["auth", "init_app"]  # importing auth registers the token check


def init_app(app: Flask) -> None:
    """Register the API's blueprints and its documentation (catsdogs.web.errors: its errors), and
    answer unserved methods before Flask."""
    openapi.init_app(app)
    for blueprint in (predict.bp, feedback.bp, monitoring.bp, inference_protocol.bp):
        openapi.api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # token-authenticated JSON endpoints: no cookies involved
    methods.init_app(app)  # the methods no route serves never reach Flask (nor its metrics)
