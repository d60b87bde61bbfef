"""catsdogs: a cats-vs-dogs classification service. `create_app` is the table of contents."""

import logging
from pathlib import Path

import click
from flask import Flask

from catsdogs import api, cli, config, logs, security, state, web

from catsdogs.monitoring import metrics

from catsdogs.monitoring import model_health

from catsdogs.monitoring import notifier

from catsdogs.store import records

from catsdogs.monitoring import review_metrics
from catsdogs.card import CardError
from catsdogs.extensions import babel, csrf, db, migrate
from catsdogs.monitoring.health import DatabaseWatch
from catsdogs.serving.classifier import Classifier, load_classifier
from catsdogs.serving.served_models import Serving, ModelWatch
from catsdogs.registry.client import Registry
from catsdogs.store.retention import RetentionPurge
from catsdogs.serving.shadow import ShadowWorker
from catsdogs.store.spool import Spool

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


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
    register_logging(app)
    tell_token_source(app)
    register_extensions(app)
    register_model(app, classifier)
    api.register(app)
    web.register(app)
    security.register(app)
    cli.register(app)
    register_database_watch(app)
    register_retention(app)
    return app


def register_logging(app: Flask) -> None:
    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.logger.setLevel(app.config["LOG_LEVEL"])
    # waitress logs one "Task queue depth" line for every request that waits for a thread: under
    # load, a line per request. Queueing shows in the latency metrics and alerts instead.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logs.register(app)


def tell_token_source(app: Flask) -> None:
    """Name where the API token comes from, never the token, when this process serves."""
    if not serving(app):
        return
    if app.config["API_TOKEN_SOURCE"]:
        log.info("API token from %s", app.config["API_TOKEN_SOURCE"])
    else:
        log.warning("API token: none configured, the API answers 401 (flask api-token makes one)")


def register_extensions(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": 3},
        }
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    # Bound before the model loads: a model that fails to load is reported in NOTIFY_LANGUAGE.
    babel.init_app(app, locale_selector=web.language.select)
    state.install(
        app,
        spool=Spool(Path(app.instance_path) / "spool.jsonl"),
        notifier=notifier.DiscordNotifier(app.config["DISCORD_WEBHOOK_URL"]),
    )


def register_model(app: Flask, classifier: Classifier | None) -> None:
    """Load the packaged model once per app (fail fast with one clear line), then let the
    registry's champion replace it when MLFLOW_TRACKING_URI is set."""
    try:
        packaged = classifier or load_classifier(
            app.config["MODEL_PATH"], app.config["INFERENCE_THREADS"]
        )
    except CardError as error:
        log.critical("cannot start: %s", error)
        alerts = state.notifier(app)
        with app.app_context():  # where the words of NOTIFY_LANGUAGE are found
            alerts.notify(notifier.model_failed_event(error, app.config["NOTIFY_LANGUAGE"]))
        alerts.close(timeout=15)  # the process is about to exit: send before it does
        raise
    telemetry = metrics.init_app(app, packaged.version)
    uri = app.config["MLFLOW_TRACKING_URI"]
    photos = app.config["MODEL_CHECK_PHOTOS"]
    models = Serving(
        packaged,
        registry=Registry(uri, app.config["MLFLOW_MODEL_NAME"]) if uri else None,
        cache=Path(app.instance_path) / "models",
        threads=app.config["INFERENCE_THREADS"],
        check_folder=Path(photos) if photos else None,
        on_event=model_events(app, telemetry),
    )
    shadow = ShadowWorker(
        app.config["SHADOW_SAMPLE"],
        challenger=lambda: models.challenger.classifier if models.challenger else None,
        record=lambda job, prediction, seconds: record_shadow(app, job, prediction, seconds),
        dropped=lambda: telemetry.record_shadow_dropped("queue_full"),
    )
    watch = ModelWatch(models, app.config["MODEL_POLL_SECONDS"])
    state.install(app, serving=models, telemetry=telemetry, shadow=shadow, model_watch=watch)
    register_model_health(app, telemetry, packaged)
    if uri and serving(app):
        models.check()  # serve the champion from the first request, if the registry answers
        watch.start()


def model_events(app: Flask, telemetry: metrics.Telemetry):
    """What the app does when the served models change: metrics, and a Discord message."""
    alerts, language = state.notifier(app), app.config["NOTIFY_LANGUAGE"]

    def on_event(kind: str, details: dict) -> None:
        if kind == "checked":
            model = app.config["MLFLOW_MODEL_NAME"]
            telemetry.record_registry_check(model, details["reachable"], details["last_success"])
            return
        if kind == "swapped":
            telemetry.serving(details["to"]["version"], previous=details["from"]["version"])
            champion = state.serving(app).champion.classifier  # drift against its own profile
            state.model_health(app).track(champion.card, champion.version)
            telemetry.model_swaps.inc()
        elif kind == "refused":
            telemetry.record_refusal(details["reason"])
        elif kind == "shadow_on":
            telemetry.serving(details["version"], role="challenger")
        elif kind == "shadow_off":
            telemetry.no_challenger(details["version"])
        with app.app_context():  # where the words of NOTIFY_LANGUAGE are found
            alerts.notify(notifier.model_event(kind, details, language))

    return on_event


def record_shadow(app: Flask, job, prediction, seconds: float) -> None:
    """Count the challenger's answer and store it beside the champion's."""
    state.telemetry(app).record_shadow(job.champion, prediction, seconds)
    with app.app_context():
        if not records.save_shadow(job.prediction_id, prediction, seconds):
            state.telemetry(app).record_shadow_dropped("not_stored")


def register_model_health(app: Flask, telemetry, classifier: Classifier) -> None:
    health = model_health.ModelHealth(
        telemetry.registry,
        app.config["MODEL_HEALTH_WINDOW"],
        app.config["FEEDBACK_ACCURACY_DAYS"],
        app,
        telemetry,
    )
    health.track(classifier.card, classifier.version)  # its series exist from the first scrape
    state.install(app, model_health=health)
    telemetry.registry.register(review_metrics.TrainingPhotoGauges(app))


def register_database_watch(app: Flask) -> None:
    alerts, language = state.notifier(app), app.config["NOTIFY_LANGUAGE"]

    def tell(connected: bool) -> None:
        with app.app_context():  # where the words of NOTIFY_LANGUAGE are found
            alerts.notify(notifier.database_event(connected, language))

    watch = DatabaseWatch(app, app.config["DATABASE_CHECK_SECONDS"], on_change=tell)
    state.install(app, watch=watch)
    if app.config["DATABASE_CHECK_SECONDS"] > 0 and not app.config.get("TESTING"):
        watch.start()


def register_retention(app: Flask) -> None:
    interval = app.config["PURGE_INTERVAL_SECONDS"]
    purge = RetentionPurge(
        app, interval, app.config["RETENTION_DAYS"], app.config["TRAINING_PHOTO_RETENTION_DAYS"]
    )
    state.install(app, purge=purge)
    if interval > 0 and serving(app):
        purge.start()


def serving(app: Flask) -> bool:
    """Whether this process serves requests: not under tests, not in a `flask` command but `run`.

    `flask init-db` creates the app before the table it would purge exists.
    """
    command = click.get_current_context(silent=True)
    return not app.config.get("TESTING") and (command is None or command.command.name == "run")
