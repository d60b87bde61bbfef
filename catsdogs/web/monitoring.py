"""The monitoring page: figures, charts and the latest predictions, refreshed by htmx polling."""

import datetime
import itertools
import logging

from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from catsdogs import records, state, statistics
from catsdogs.extensions import db
from catsdogs.models import utc_now
from catsdogs.web.formats import decimal, percent
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
    version = state.classifier().version
    models = state.serving().describe()
    success = models["registry"]["last_success"]
    last_registry_success = (
        datetime.datetime.fromtimestamp(success, datetime.UTC) if success else None
    )
    try:
        return {
            "models": models,
            "last_registry_success": last_registry_success,
            "shadow_comparison": statistics.shadow_comparison(),
            "summary": statistics.summary(),
            "latest": records.recent(LATEST, 0),
            "charts": {
                "timeline": statistics.timeline(utc_now()),
                "confidence": confidence_chart(),
            },
            "database_up": True,
            "model_version": version,
        }
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("monitoring page: the database does not answer")
        return {
            "models": models,
            "last_registry_success": last_registry_success,
            "shadow_comparison": [],
            "summary": None,
            "latest": [],
            "charts": None,
            "database_up": False,
            "model_version": version,
        }


def confidence_chart() -> dict:
    """The confidence histogram, its bins named in the page's language ("50–55%")."""
    edges = itertools.pairwise(statistics.CONFIDENCE_BINS)
    return {
        "bins": [f"{decimal(low * 100, 0)}–{percent(high, 0)}" for low, high in edges],
        "counts": statistics.confidence_histogram()["counts"],
    }
