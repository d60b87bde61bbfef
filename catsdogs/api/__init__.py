"""The JSON API: predict, feedback and monitoring blueprints, documented at /openapi.json."""

from flask import Flask

from catsdogs.api import auth, errors, feedback, monitoring, openapi, predict
from catsdogs.extensions import csrf

__all__ = ["auth", "register"]  # importing auth registers the token check


def register(app: Flask) -> None:
    """Register the API's blueprints, its documentation and its JSON errors."""
    openapi.init_app(app)
    for blueprint in (predict.bp, feedback.bp, monitoring.bp):
        openapi.api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # token-authenticated JSON endpoints: no cookies involved
    errors.register(app)
