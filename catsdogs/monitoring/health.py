"""Real checks of the model and the database: the bodies of /health and /health/ready."""

from __future__ import annotations

import logging
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


def readiness(models: Serving) -> tuple[dict, int]:
    """Ready when a model is loaded and answers a warm-up image; the database may be down
    (predictions are spooled), so it does not decide readiness."""
    ready = model_loaded(models.champion.classifier)
    return {"ready": ready, **models.describe()}, 200 if ready else 503
