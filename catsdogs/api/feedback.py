"""JSON API: feedback on a prediction, and erasure of a prediction."""

from flask import current_app

from catsdogs import store
from catsdogs.store import records
from catsdogs.api.openapi import BEARER, ApiBlueprint
from catsdogs.api.schemas import ApiError, FeedbackRequest, FeedbackResult
from catsdogs.extensions import auth

bp = ApiBlueprint("feedback", __name__, description="User feedback and erasure")


@bp.route("/api/update-feedback", methods=["POST"])
@bp.response(200, FeedbackResult)
@bp.alt_response(400, schema=ApiError, description="Invalid values")
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(
    403, schema=ApiError, description="No consent to this prediction, or no `predict` scope"
)
@bp.alt_response(404, schema=ApiError, description="Unknown prediction id")
@bp.doc(security=BEARER)
@auth.login_required(role="predict")
@bp.arguments(FeedbackRequest, location="json_or_form")
def update_feedback(args):
    """Record a thumbs-up (1) or thumbs-down (0) and a comment on a consented prediction.

    Sent again, the vote replaces the earlier one; without `user_comment` the earlier comment
    stays, and an empty or null `user_comment` clears it.
    """
    comment = args.get("user_comment", records.KEEP)  # absent keeps it; "" or null clears it
    writer = store.parts(current_app).writer
    record = writer.give_feedback(args["feedback_id"], bool(args["user_feedback"]), comment)
    return {
        "feedback_id": record.id,
        "user_feedback": record.user_feedback,
        "user_comment": record.user_comment,
    }


@bp.route("/api/predictions/<int(signed=True):prediction_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(401, schema=ApiError, description="Missing or wrong API token")
@bp.alt_response(403, schema=ApiError, description="The token lacks the `admin` scope")
@bp.alt_response(404, schema=ApiError, description="Unknown prediction id")
@bp.doc(security=BEARER)
@auth.login_required(role="admin")
def erase_prediction(prediction_id: int) -> None:
    """Erase a prediction and everything stored with it."""
    records.erase(prediction_id)
