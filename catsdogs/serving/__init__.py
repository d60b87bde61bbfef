"""Serving: the classifier, which registry versions serve and shadow, and the inference protocol.

`init_app` loads the packaged model, builds the models' keeper, shadow traffic, the registry
watch and the classification service once, and connects their events; `parts(app)` reads them
back.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from catsdogs import config, monitoring, store
from catsdogs.card import CardError
from catsdogs.monitoring.canary import CanaryRecorder
from catsdogs.monitoring.canary_guards import CanaryFigures, limits_from
from catsdogs.monitoring.notifications import Alerts
from catsdogs.registry.client import Registry
from catsdogs.serving.classifier import Classifier, load_classifier
from catsdogs.serving.classify import Classification
from catsdogs.serving.erasure_marks import ErasureMarks, MarkingWatch
from catsdogs.serving.canary_guard import CanaryGuard
from catsdogs.serving.events import CanaryEvents, ModelEvents, ShadowAnswers
from catsdogs.serving import optimized, precision
from catsdogs.serving.served_models import ModelWatch, Serving
from catsdogs.serving.shadow import ShadowWorker

KEY = "catsdogs.serving"
log = logging.getLogger("catsdogs")  # the start-up lines' logger, as the factory's


@dataclass(frozen=True)
class ServingParts:
    """Which models serve and shadow, their background work, and the service that uses them."""

    models: Serving
    shadow: ShadowWorker
    model_watch: ModelWatch
    classification: Classification
    canary_guard: CanaryGuard
    reverse_shadow: ShadowWorker  # the champion on the canary's photos

    @property
    def classifier(self) -> Classifier:
        """The model this app serves now: hold on to it for the whole of a request."""
        return self.models.champion.classifier


def init_app(app: Flask, classifier: Classifier | None = None) -> ServingParts:
    """Load the packaged model once per app (fail fast with one clear line), then let the
    registry's champion replace it when MLFLOW_TRACKING_URI is set. `classifier` replaces the
    model file's loading (tests share one model)."""
    watched, stored = monitoring.parts(app), store.parts(app)
    precision.check_setting(app.config["MODEL_PRECISION"])
    telemetry, health = watched.telemetry, watched.model_health
    packaged = classifier or load_packaged(app, watched.alerts)
    telemetry.serving(packaged.model_version)
    telemetry.answers_in("champion", packaged.card.precision)
    health.track(packaged.card, packaged.model_version)  # its series exist from the first scrape
    uri, photos = app.config["MLFLOW_TRACKING_URI"], app.config["MODEL_CHECK_PHOTOS"]
    models = Serving(
        packaged,
        registry=Registry(uri, app.config["MLFLOW_MODEL_NAME"]) if uri else None,
        cache=Path(app.instance_path) / "models",
        threads=app.config["INFERENCE_THREADS"],
        check_folder=Path(photos) if photos else None,
        precision_setting=app.config["MODEL_PRECISION"],
        vnni=precision.has_vnni(precision.cpu_flags()),
    )
    recorder = CanaryRecorder(telemetry.registry, CanaryFigures(limits_from(app.config)))
    models.on_event = CanaryEvents(
        ModelEvents(models, telemetry, health, watched.alerts, app.config["MLFLOW_MODEL_NAME"]),
        models,
        recorder,
        watched.alerts,
    )
    telemetry.on_vote = models.on_event.vote
    answers = ShadowAnswers(app, models, telemetry, recorder)
    shadow = ShadowWorker(
        app.config["SHADOW_SAMPLE"], answers.challenger, answers.record, answers.dropped
    )
    marks = ErasureMarks(app, models, Path(app.instance_path) / "lineage", watched.alerts.erasure)
    watch = MarkingWatch(models, app.config["MODEL_POLL_SECONDS"], marks)
    # Every canary answer is checked: the disagreement guard needs them all, and few they are.
    reverse = ShadowWorker(1.0, answers.champion, answers.checked, answers.dropped)
    guard = CanaryGuard(
        models, recorder.figures, app.config["CANARY_CHECK_SECONDS"], models.on_event
    )
    service = Classification(
        models, stored.writer, telemetry, health, shadow, stored.intake, recorder, reverse
    )
    app.extensions[KEY] = ServingParts(models, shadow, watch, service, guard, reverse)
    if uri and config.serves_requests(app):
        models.check()  # serve the champion from the first request, if the registry answers
        watch.start()
        guard.start()
    return app.extensions[KEY]


def load_packaged(app: Flask, alerts: Alerts) -> Classifier:
    """The model of MODEL_PATH (its packaged INT8 copy for MODEL_PRECISION=int8, if it passed its
    gate); if it cannot load, say so in the log and on Discord, and raise."""
    model = Path(app.config["MODEL_PATH"])
    copy = precision.packaged_copy(model) if app.config["MODEL_PRECISION"] == "int8" else None
    try:
        saved_graphs = Path(app.instance_path) / optimized.FOLDER
        return load_classifier(str(copy or model), app.config["INFERENCE_THREADS"], saved_graphs)
    except CardError as error:
        log.critical("cannot start: %s", error)
        alerts.model_failed(error)
        raise


def parts(app: Flask) -> ServingParts:
    """The serving objects `init_app` built for `app`."""
    return app.extensions[KEY]
