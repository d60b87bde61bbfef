"""Monitoring: Prometheus metrics, model health and drift, accuracy, statistics, notifications.

`init_app` builds the app's metrics, model health and alerts once; `parts(app)` reads them back.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from catsdogs.monitoring import metrics, review_metrics
from catsdogs.monitoring.health import CachedReport
from catsdogs.monitoring.metrics import Telemetry
from catsdogs.monitoring.model_health import ModelHealth
from catsdogs.monitoring.notifications import Alerts
from catsdogs.monitoring.notifier import DiscordNotifier

KEY = "catsdogs.monitoring"
HEALTH_CACHE_SECONDS = 2.0  # how stale a polled /health may be; docs/api.md


@dataclass(frozen=True)
class MonitoringParts:
    """What the app counts and tells: its metrics, its models' health, its Discord alerts,
    and its last /health report."""

    telemetry: Telemetry
    model_health: ModelHealth
    alerts: Alerts
    health_report: CachedReport


def init_app(app: Flask) -> MonitoringParts:
    """Create the app's metrics registry, model health and alerts, and keep them on `app`."""
    # No model yet: serving's init_app names the version that serves once it is loaded.
    telemetry = metrics.init_app(app, None)
    health = ModelHealth(
        telemetry.registry,
        app.config["MODEL_HEALTH_WINDOW"],
        app.config["FEEDBACK_ACCURACY_DAYS"],
        app,
        telemetry,
        shared_windows_folder(app),
        app.config.get("WORKERS", 1),
    )
    telemetry.add_scrape_time(review_metrics.TrainingPhotoGauges(app))
    alerts = Alerts(app, DiscordNotifier(app.config["DISCORD_WEBHOOK_URL"]))
    app.extensions[KEY] = MonitoringParts(
        telemetry, health, alerts, CachedReport(HEALTH_CACHE_SECONDS)
    )
    return app.extensions[KEY]


def shared_windows_folder(app: Flask) -> Path | None:
    """Where the workers of `python wsgi.py --workers N` share their model health windows."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(folder) if folder and app.config.get("WORKERS", 1) > 1 else None


def parts(app: Flask) -> MonitoringParts:
    """The monitoring objects `init_app` built for `app`."""
    return app.extensions[KEY]
