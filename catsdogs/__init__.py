"""catsdogs: a cats-vs-dogs classification service. `create_app` is the table of contents."""

import logging
from pathlib import Path

from flask import Flask, send_from_directory

from catsdogs import cli, config, errors, metrics, notifier, records, security
from catsdogs.card import CardError
from catsdogs.extensions import api, csrf, db, migrate
from catsdogs.health import DatabaseWatch
from catsdogs.inference import get_classifier
from catsdogs.openapi import SECURITY_SCHEME
from catsdogs.spool import Spool
from catsdogs.uploads import UploadRequest

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; `test_config` replaces the environment (tests)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=config.instance_path(test_config),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = UploadRequest
    config.load(app, test_config)
    register_logging(app)
    register_extensions(app)
    register_model(app)
    register_blueprints(app)
    errors.register(app)
    security.register(app)
    cli.register(app)
    register_database_watch(app)
    return app


def register_logging(app: Flask) -> None:
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app.logger.setLevel(app.config["LOG_LEVEL"])
    # waitress logs one "Task queue depth" line for every request that waits for a thread: under
    # load, a line per request. Queueing shows in the latency metrics and alerts instead.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def register_extensions(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": 3},
        }
    register_write_engine(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    app.config.update(
        API_TITLE="catsdogs",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
    )
    api.init_app(app)
    api.spec.components.security_scheme(SECURITY_SCHEME, {"type": "http", "scheme": "bearer"})
    app.extensions["catsdogs.spool"] = Spool(Path(app.instance_path) / "spool.jsonl")


def register_write_engine(app: Flask) -> None:
    """A second engine, in autocommit mode, for the one INSERT each prediction makes.

    One round trip instead of three (BEGIN, INSERT, COMMIT), and as durable.
    """
    app.config["SQLALCHEMY_BINDS"] = {
        records.WRITE_ENGINE: {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "url": app.config["SQLALCHEMY_DATABASE_URI"],
            "isolation_level": "AUTOCOMMIT",
        }
    }


def register_model(app: Flask) -> None:
    """Load the model from its card once per process; fail fast with one clear line."""
    try:
        classifier = get_classifier(app.config["MODEL_PATH"], app.config["INFERENCE_THREADS"])
    except CardError as error:
        log.critical("cannot start: %s", error)
        alerts = notifier.for_app(app)
        alerts.notify(notifier.model_failed_event(error))
        alerts.close(timeout=15)  # the process is about to exit: send before it does
        raise
    app.extensions["catsdogs.classifier"] = classifier
    metrics.init_app(app, classifier.version)


def register_blueprints(app: Flask) -> None:
    from catsdogs import auth, feedback, monitoring, predict, web  # noqa: F401 (auth registers)

    app.register_blueprint(web.bp)

    for blueprint in (predict.bp, feedback.bp, monitoring.bp):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # token-authenticated JSON endpoints: no cookies involved
    swagger_assets = _swagger_ui_path()
    app.add_url_rule(
        "/docs/assets/<path:filename>",
        "swagger_assets",
        lambda filename: send_from_directory(swagger_assets, filename),
    )


def _swagger_ui_path() -> str:
    import swagger_ui_bundle

    return swagger_ui_bundle.swagger_ui_path


def register_database_watch(app: Flask) -> None:
    alerts = notifier.for_app(app)
    watch = DatabaseWatch(
        app,
        app.config["DATABASE_CHECK_SECONDS"],
        on_change=lambda connected: alerts.notify(notifier.database_event(connected)),
    )
    app.extensions["catsdogs.watch"] = watch
    if app.config["DATABASE_CHECK_SECONDS"] > 0 and not app.config.get("TESTING"):
        watch.start()
