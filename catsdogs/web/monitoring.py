"""The monitoring page: figures, charts and the latest predictions, refreshed by htmx polling."""

import datetime
import itertools
import logging

from flask import Blueprint, current_app
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError

from catsdogs import monitoring, serving
from catsdogs.monitoring import drift

from catsdogs.store import records

from catsdogs.store import review

from catsdogs.monitoring import signals

from catsdogs.monitoring import statistics
from catsdogs.extensions import db
from catsdogs.store.tables import utc_now
from catsdogs.web.formats import MISSING, animal, decimal, percent, percentages
from catsdogs.web.render import render

bp = Blueprint("monitoring_page", __name__)
log = logging.getLogger(__name__)
LATEST = 15


@bp.route("/monitoring")
def page():
    """Show the figures; htmx polls this for the live block alone."""
    config = current_app.config
    return render(
        "web/monitoring.html",
        "web/_live.html",
        **figures(),
        grafana_url=config["GRAFANA_URL"],
        prometheus_url=config["PROMETHEUS_URL"],
    )


def figures() -> dict:
    """Everything the page shows; empty figures when the database does not answer."""
    served = serving.parts(current_app)
    version, models = served.classifier.model_version, served.models.describe()
    success = served.models.state.last_success
    last_registry_success = (
        datetime.datetime.fromtimestamp(success, datetime.UTC) if success else None
    )
    try:
        return {
            "models": models,
            "canary_window": canary_window(),
            "last_registry_success": last_registry_success,
            "shadow_comparison": statistics.shadow_comparison(),
            "summary": statistics.summary(),
            "latest": records.recent(LATEST, 0),
            "training_photos": review.counts(),
            "charts": {
                "timeline": statistics.timeline(utc_now()),
                "confidence": confidence_chart(),
            },
            "database_up": True,
            "model_version": version,
            "detector": served.classifier.card.neither_output is not None,
            "unsure_below": served.classifier.card.unsure_below,  # marks the table's unsure rows
            "health": model_health(),
        }
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("monitoring page: the database does not answer")
        return {
            "models": models,
            "canary_window": canary_window(),
            "last_registry_success": last_registry_success,
            "shadow_comparison": [],
            "summary": None,
            "latest": [],
            "training_photos": None,
            "charts": None,
            "database_up": False,
            "model_version": version,
            "health": model_health(),
        }


def canary_window() -> dict | None:
    """What the canary's guards read now, while a canary is set."""
    served = serving.parts(current_app)
    if served.models.canary.setting is None:
        return None
    figures = served.canary_guard.figures
    return figures.summary() | {"seconds": figures.limits.window}


def confidence_chart() -> dict:
    """The confidence histogram, its bins named in the page's language ("50–55%")."""
    edges = itertools.pairwise(statistics.CONFIDENCE_BINS)
    return {
        "bins": [f"{decimal(low * 100, 0)}–{percent(high, 0)}" for low, high in edges],
        "counts": statistics.confidence_histogram()["counts"],
    }


def model_health() -> dict | None:
    """The served model's window against its card's reference, and the votes per version."""
    health = monitoring.parts(current_app).model_health
    status = health.status(serving.parts(current_app).classifier.model_version)
    if status is None:
        return None
    rows = []
    neither = status["neither"]  # None: the model has no detector, so no such signals
    for signal in signals.SIGNALS + (signals.DETECTOR if neither else ()):
        window = status["signals"].get(signal.name)
        reference = (status["reference"] or {}).get("signals", {}).get(signal.name)
        if signal.name == "neither":
            reference = {"shares": [1 - neither["expected"], neither["expected"]]}
        psi = window.get("psi") if window else None
        rows.append(
            {
                "name": signal.name,
                "window": _describe(signal, window),
                "reference": _describe(signal, reference),
                "psi": psi,
                "level": drift.level(psi) if status["full"] else "collecting",
            }
        )
    return {**status, "rows": rows, "feedback": health.feedback()}


def _describe(signal: signals.Signal, entry: dict | None) -> str:
    """A signal in a few characters: its mean, or its largest shares ("JPEG 100%")."""
    if not entry:
        return MISSING
    if signal.name == "neither":  # the share answered "not a cat or a dog"; 1% matters here
        return percent(entry["shares"][1], 2)
    if "mean" in entry:
        return decimal(entry["mean"], 0 if signal.name in ("width", "height") else 2)
    shares = sorted(zip(entry["shares"], signal.bins, strict=True), reverse=True)
    shown = percentages({name: share for share, name in shares}, 0)  # the bins add up to 100%
    return ", ".join(
        f"{_category(signal.name, name)} {shown[name]}" for share, name in shares[:2] if share
    )


def _category(signal: str, name: str) -> str:
    """A bin's name in words: the class in the page's language, colour or grayscale, "JPEG"."""
    if signal == "class":
        return animal(name)
    if signal == "grayscale":  # the bins are "no" and "yes": alone they answer no question
        return gettext("grayscale") if name == "yes" else gettext("colour")
    return name
