"""catsdogs: a cats-vs-dogs classification service. `create_app` is the table of contents."""

from pathlib import Path

from flask import Flask

from catsdogs import api, cli, config, extensions, logs, monitoring, security, serving, store, web
from catsdogs.serving.classifier import Classifier

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, classifier: Classifier | None = None) -> Flask:
    """Build the application; `test_config` replaces the environment, `classifier` the model
    file's loading (tests share one model)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=config.instance_path(test_config),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)
    logs.init_app(app)
    config.tell_token_source(app)
    # Babel is bound before the model loads: a model that fails is reported in NOTIFY_LANGUAGE.
    extensions.init_app(app, locale_selector=web.language.select)
    monitoring.init_app(app)  # metrics, model health, Discord alerts
    store.init_app(app)  # spool and writer, retention purge, database watch
    serving.init_app(app, classifier)  # the models, shadow traffic, the registry watch
    api.init_app(app)
    web.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    return app
