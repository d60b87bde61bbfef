"""JSON API: health, statistics and the list of recent predictions."""

import marshmallow as ma

from catsdogs import health as checks
from catsdogs import records, statistics
from catsdogs.api.openapi import BEARER, ApiBlueprint
from catsdogs.api.schemas import (
    ApiError,
    Health,
    PageArgs,
    PredictionList,
    Statistics,
    StoredPrediction,
)
from catsdogs.extensions import auth

bp = ApiBlueprint("monitoring", __name__, description="Health, statistics and history")


@bp.route("/health")
@bp.response(200, Health, description="Healthy, or degraded when the database is down")
@bp.alt_response(503, schema=Health, description="The model is not loaded")
def health():
    """Check the database and the model for real, now."""
    return checks.report()


@bp.route("/api/statistics")
@bp.response(200, Statistics)
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.doc(security=BEARER)
@auth.login_required
def get_statistics():
    """Totals, classes, consent, feedback and inference time figures."""
    return statistics.summary()


@bp.route("/api/predictions")
@bp.response(200, PredictionList)
@bp.alt_response(400, schema=ApiError, description="Invalid limit or offset")
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.doc(security=BEARER)
@auth.login_required
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
@bp.alt_response(404, schema=ApiError, description="Unknown prediction id")
@bp.doc(security=BEARER)
@auth.login_required
def get_prediction(prediction_id: int):
    """One stored prediction, as the list shows it."""
    return records.get(prediction_id)
