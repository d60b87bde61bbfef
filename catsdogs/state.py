"""The app's own objects, kept in `app.extensions`: the only module that spells their keys.

Each accessor reads the current app; `install` is what the factory (or a test) calls to set one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:  # for the annotations only: these modules must not depend on this one's load
    from catsdogs.monitoring.health import DatabaseWatch
    from catsdogs.serving.classifier import Classifier
    from catsdogs.serving.served_models import Serving, ModelWatch
    from catsdogs.monitoring.metrics import Telemetry
    from catsdogs.monitoring.model_health import ModelHealth
    from catsdogs.monitoring.notifier import DiscordNotifier
    from catsdogs.store.retention import RetentionPurge
    from catsdogs.serving.shadow import ShadowWorker
    from catsdogs.store.spool import Spool

KEYS = {
    "serving": "catsdogs.serving.served_models",
    "model_watch": "catsdogs.model_watch",
    "shadow": "catsdogs.serving.shadow",
    "telemetry": "catsdogs.telemetry",
    "spool": "catsdogs.store.spool",
    "watch": "catsdogs.watch",
    "notifier": "catsdogs.monitoring.notifier",
    "purge": "catsdogs.purge",
    "model_health": "catsdogs.monitoring.model_health",
}


def install(app: Flask, **objects) -> None:
    """Keep `objects` (by the names of KEYS) on `app`, replacing any already there."""
    for name, value in objects.items():
        app.extensions[KEYS[name]] = value


def classifier(app: Flask | None = None) -> Classifier:
    """The model this app serves now: hold on to it for the whole of a request."""
    return serving(app).champion.classifier


def serving(app: Flask | None = None) -> Serving:
    """Which models serve and shadow, and their registry."""
    return (app or current_app).extensions[KEYS["serving"]]


def model_watch(app: Flask | None = None) -> ModelWatch:
    """The background check of the model registry."""
    return (app or current_app).extensions[KEYS["model_watch"]]


def shadow(app: Flask | None = None) -> ShadowWorker:
    """The challenger's queue of photos."""
    return (app or current_app).extensions[KEYS["shadow"]]


def telemetry(app: Flask | None = None) -> Telemetry:
    """The app's Prometheus metrics."""
    return (app or current_app).extensions[KEYS["telemetry"]]


def spool(app: Flask | None = None) -> Spool:
    """The queue of prediction rows waiting for the database."""
    return (app or current_app).extensions[KEYS["spool"]]


def watch(app: Flask | None = None) -> DatabaseWatch:
    """The background check of the database."""
    return (app or current_app).extensions[KEYS["watch"]]


def notifier(app: Flask | None = None) -> DiscordNotifier:
    """The app's Discord notifier."""
    return (app or current_app).extensions[KEYS["notifier"]]


def purge(app: Flask | None = None) -> RetentionPurge:
    """The scheduled retention purge."""
    return (app or current_app).extensions[KEYS["purge"]]


def model_health(app: Flask | None = None) -> ModelHealth:
    """The drift windows and model-health metrics."""
    return (app or current_app).extensions[KEYS["model_health"]]
