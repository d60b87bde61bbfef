"""Real checks of the model and the database: the bodies of /health and /health/ready."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from catsdogs.store.database_watch import database_connected
from catsdogs.store.spool import Spool

if TYPE_CHECKING:  # annotations only: monitoring imports nothing of serving
    from catsdogs.serving.classifier import Classifier
    from catsdogs.serving.served_models import Serving

log = logging.getLogger(__name__)


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
        "model": {"loaded": model_ok, "version": classifier.model_version if classifier else None},
        "database": "connected" if connected else "disconnected",
        "spooled_predictions": len(spool),
        **models.describe(),
    }, 200 if model_ok else 503


class CachedReport:
    """The last /health result for `seconds`: probes and scrapers poll it (it is exempt from the
    limits) and each check runs the model, a query and reads the spool. One lock, held while
    checking, so callers arriving together wait for one check instead of each running their own.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._lock = threading.Lock()
        self._result: tuple[dict, int] | None = None
        self._checked = 0.0

    def get(self, check: Callable[[], tuple[dict, int]]) -> tuple[dict, int]:
        """The cached result while fresh, else `check()`'s, kept for the next callers."""
        with self._lock:
            if self._result is None or self.clock() - self._checked >= self.seconds:
                self._result, self._checked = check(), self.clock()
            return self._result


def public(result: tuple[dict, int]) -> tuple[dict, int]:
    """What anyone may see of a report: the status word and the HTTP status, no detail."""
    body, status = result
    return {"status": body["status"]}, status


def public_readiness(result: tuple[dict, int]) -> tuple[dict, int]:
    """What anyone may see of readiness: ready or not, and the HTTP status."""
    body, status = result
    return {"ready": body["ready"]}, status


def readiness(models: Serving) -> tuple[dict, int]:
    """Ready when a model is loaded and answers a warm-up image; the database may be down
    (predictions are spooled), so it does not decide readiness."""
    ready = model_loaded(models.champion.classifier)
    return {"ready": ready, **models.describe()}, 200 if ready else 503
