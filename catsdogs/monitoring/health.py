"""Real checks of the database and the model, and the watch that acts on the database's state."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from flask import Flask
from sqlalchemy import text

from catsdogs.extensions import db
from catsdogs.monitoring.metrics import Telemetry
from catsdogs.periodic import Periodic
from catsdogs.store import records
from catsdogs.store.records import discard_session
from catsdogs.store.spool import Spool

if TYPE_CHECKING:  # annotations only: monitoring imports nothing of serving
    from catsdogs.serving.classifier import Classifier
    from catsdogs.serving.served_models import Serving

log = logging.getLogger(__name__)


def database_connected() -> bool:
    """Run a query against the database; False if it does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 (whatever the failure, the answer is "not connected")
        return False
    finally:
        discard_session()


def model_loaded(classifier: Classifier | None) -> bool:
    """Run the model on a blank image; False if it fails."""
    if classifier is None:
        return False
    try:
        blank = classifier.card.input_size
        scores = classifier.predict_pixels(np.zeros((blank[1], blank[0], 3), np.uint8))
        return bool(abs(float(scores.sum()) - 1.0) < 1e-3)
    except Exception:
        log.exception("model health check failed")
        return False


def report(models: Serving, spool: Spool) -> tuple[dict, int]:
    """The /health body and status: healthy, degraded (database down) or 503 (no model).

    It only reports: replaying the spool is the database watch's job, not a probe's.
    """
    classifier = models.champion.classifier
    connected = database_connected()
    model_ok = model_loaded(classifier)
    status = "healthy" if connected and model_ok else "degraded" if model_ok else "unhealthy"
    return {
        "status": status,
        "model": {"loaded": model_ok, "version": classifier.version if classifier else None},
        "database": "connected" if connected else "disconnected",
        "spooled_predictions": len(spool),
        **models.describe(),
    }, 200 if model_ok else 503


def readiness(models: Serving) -> tuple[dict, int]:
    """Ready when a model is loaded and answers a warm-up image; the database may be down
    (predictions are spooled), so it does not decide readiness."""
    ready = model_loaded(models.champion.classifier)
    return {"ready": ready, **models.describe()}, 200 if ready else 503


class DatabaseWatch(Periodic):
    """Checks the database every few seconds: sets the gauge, replays the spool, notifies."""

    name = "database-watch"

    def __init__(
        self,
        app: Flask,
        interval: float,
        spool: Spool,
        telemetry: Telemetry,
        on_change: Callable[[bool], None] | None = None,
    ):
        super().__init__(interval)
        self.app, self.spool, self.telemetry = app, spool, telemetry
        self.on_change = on_change
        self.connected: bool | None = None
        self._lock = threading.Lock()

    def run_once(self) -> None:
        self.check()

    def check(self) -> None:
        """Query the database now and act on the answer."""
        with self.app.app_context():
            self.observe(database_connected())

    def observe(self, connected: bool) -> None:
        """Record a check result; on a change, notify; when connected, replay the spool."""
        with self._lock:
            changed, self.connected = (
                self.connected is not None and connected != self.connected,
                connected,
            )
        self.telemetry.database.set(int(connected))
        if changed:
            log.warning("database %s", "connected again" if connected else "unreachable")
            if self.on_change:
                self.on_change(connected)
        if connected:
            self.replay()

    def replay(self) -> None:
        try:
            count = self.spool.replay(records.replay)
            if count:
                log.info("replayed %d spooled predictions", count)
        except Exception:
            discard_session()
            log.exception("replaying the spool failed; it is kept for the next attempt")
