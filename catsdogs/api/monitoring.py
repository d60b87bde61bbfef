"""JSON API: health, statistics and the list of recent predictions."""

import marshmallow as ma
from flask import current_app

from catsdogs import monitoring, serving, store
from catsdogs.monitoring import health as checks
from catsdogs.store import records
from catsdogs.monitoring import statistics
from catsdogs.api.auth import may
from catsdogs.api.openapi import BEARER, ApiBlueprint
from catsdogs.api.schemas import (
    ApiError,
    Health,
    Liveness,
    ModelState,
    Readiness,
    PageArgs,
    PredictionList,
    Statistics,
    StoredPrediction,
)
from catsdogs.errors import ServiceError
from catsdogs.extensions import auth
from catsdogs.store.tables import Prediction

bp = ApiBlueprint("monitoring", __name__, description="Health, statistics and history")


@bp.route("/health")
@bp.response(200, Health, description="Healthy, or degraded when the database is down")
@bp.alt_response(503, schema=Health, description="The model is not loaded")
@bp.doc(security=[{}, *BEARER])
@auth.login_required(optional=True)
def health():
    """Check the database and the model (at most every 2 s); the detail only with a token that
    may `read` (it names hosts, paths and the registry's errors)."""
    models, spool = serving.parts(current_app).models, store.parts(current_app).spool
    result = monitoring.parts(current_app).health_report.get(lambda: checks.report(models, spool))
    return result if may("read") else checks.public(result)


@bp.route("/health/live")
@bp.response(200, Liveness)
def liveness():
    """The process answers: nothing else is checked (restart it if this fails)."""
    return {"status": "alive"}


@bp.route("/health/ready")
@bp.response(200, Readiness, description="A model is loaded and warmed up")
@bp.alt_response(503, schema=Readiness, description="No working model: send no traffic")
@bp.doc(security=[{}, *BEARER])
@auth.login_required(optional=True)
def readiness():
    """Whether to send traffic here; the serving and shadow versions and the registry's state
    only with a token that may `read`."""
    result = checks.readiness(serving.parts(current_app).models)
    return result if may("read") else checks.public_readiness(result)


@bp.route("/api/model/reload", methods=["POST"])
@bp.response(200, ModelState, description="The registry was asked; what serves now")
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ApiError, description="The token lacks the `admin` scope")
@bp.alt_response(409, schema=ApiError, description="No model registry is configured")
@bp.alt_response(503, schema=ApiError, description="The registry did not answer; nothing moved")
@bp.doc(security=BEARER)
@auth.login_required(role="admin")
def reload_model():
    """Check the registry's champion and challenger now instead of at the next poll."""
    models = serving.parts(current_app).models
    if models.registry is None:
        raise ServiceError("no_registry", "No model registry: set MLFLOW_TRACKING_URI.")
    state = models.check()
    if state["registry"]["reachable"] is False:  # the admin token may see the registry's error
        serving_now = state["serving"]["version"]
        raise ServiceError(
            "registry_unreachable",
            f"The model registry cannot be reached ({state['registry']['last_error']}); "
            f"{serving_now} keeps serving.",
        )
    return state


@bp.route("/api/statistics")
@bp.response(200, Statistics)
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ApiError, description="The token lacks the `read` scope")
@bp.doc(security=BEARER)
@auth.login_required(role="read")
def get_statistics():
    """Totals, classes, consent, feedback and inference time figures."""
    return statistics.summary()


@bp.route("/api/predictions")
@bp.response(200, PredictionList)
@bp.alt_response(400, schema=ApiError, description="Invalid limit or offset")
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ApiError, description="The token lacks the `read` scope")
@bp.doc(security=BEARER)
@auth.login_required(role="read")
@bp.arguments(PageArgs, location="query", unknown=ma.RAISE)
def list_predictions(args):
    """Recent predictions, newest first (limit at most 100), and how many are stored."""
    return {
        "items": records.recent(args["limit"], args["offset"]),
        "total": records.count(),
        **args,
    }


@bp.route("/api/predictions/<int(signed=True):prediction_id>")
@bp.response(200, StoredPrediction)
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ApiError, description="The token lacks the `read` scope")
@bp.alt_response(404, schema=ApiError, description="Unknown prediction id")
@bp.doc(security=BEARER)
@auth.login_required(role="read")
def get_prediction(prediction_id: int) -> Prediction:
    """One stored prediction, as the list shows it."""
    return records.get(prediction_id)
