"""HTML pages (htmx): classify a photo, give feedback on it, read about the model."""

from flask import Blueprint, Response, current_app, request, session
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from catsdogs import monitoring, serving, store
from catsdogs.store import records
from catsdogs.errors import ServiceError, status_for
from catsdogs.web import messages
from catsdogs.web.render import render

bp = Blueprint("web", __name__)
SESSION_IDS = "prediction_ids"
KEEP_IDS = 20  # the signed session cookie stays small
SHOWN = "request_id"  # the form field naming the row a card showed (empty: an older page)


@bp.route("/")
def index():
    """Show the upload form, or (htmx) an empty result card."""
    return render("web/index.html", "web/_result.html")


@bp.route("/classify", methods=["POST"])
def classify_photo():
    """Classify the uploaded photo; remember consented predictions in the session."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _result_error(400, gettext("Choose a photo first."))
    consent = request.form.get("consent") == "yes"
    training_consent = request.form.get("training_consent") == "yes"
    try:
        service = serving.parts(current_app).classification
        # The photo quota counts per address, as the rate limiter sees it (after ProxyFix).
        client = f"address:{request.remote_addr}"
        # The page always shows why (under a millisecond): the heatmap sits under the answer.
        result = service.classify(
            upload.read(), upload.filename, consent, training_consent, client, explain=True
        )
    except ServiceError as error:
        monitoring.parts(current_app).telemetry.record_error(error.code)
        return _result_error(status_for(error), messages.for_error(error))
    if consent and result["id"] is not None:
        session[SESSION_IDS] = [*session.get(SESSION_IDS, []), result["id"]][-KEEP_IDS:]
        # The card's forms name the row by its id and its request_id: a stale card is refused.
        result = {**result, "request_id": records.get(result["id"]).request_id}
    card = serving.parts(current_app).classifier.card
    return render(
        "web/index.html",
        "web/_result.html",
        result=result,
        consent=consent,
        neither_threshold=card.neither_above,
    )


@bp.route("/feedback/<int:prediction_id>", methods=["POST"])
def feedback(prediction_id: int) -> ResponseReturnValue:
    """Record a vote and a comment on a prediction this browser made; voting again replaces it."""
    vote = request.form.get("satisfied")
    try:
        if vote not in ("0", "1"):
            raise ServiceError("invalid_request", "Choose “Yes, right” or “No, wrong”.")
        satisfied = vote == "1"
        record = store.parts(current_app).writer.give_feedback(
            prediction_id,
            satisfied,
            request.form.get("comment", ""),
            allowed_ids=set(session.get(SESSION_IDS, [])),
            shown=request.form.get(SHOWN, ""),
        )
    except ServiceError as error:
        monitoring.parts(current_app).telemetry.record_error(error.code)
        message = messages.for_error(error, id=prediction_id)
        return _feedback_error(prediction_id, status_for(error), message)
    return render(
        "web/feedback.html",
        "web/_feedback.html",
        prediction_id=prediction_id,
        request_id=record.request_id,
        sent=True,
        satisfied=satisfied,
        comment=record.user_comment,
    )


@bp.route("/erase/<int:prediction_id>", methods=["POST"])
def erase(prediction_id: int) -> ResponseReturnValue:
    """Delete, at once and entirely, a consented prediction this browser made."""
    mine = session.get(SESSION_IDS, [])
    shown = request.form.get(SHOWN, "")
    try:
        # Read before the row goes: the card then says whether a kept photo went with it.
        photo_erased = records.named(prediction_id, set(mine), shown).photo is not None
        records.erase(prediction_id, allowed_ids=set(mine), shown=shown)
    except ServiceError as error:
        monitoring.parts(current_app).telemetry.record_error(error.code)
        return _erase_error(status_for(error), messages.for_error(error, id=prediction_id))
    session[SESSION_IDS] = [kept for kept in mine if kept != prediction_id]
    return render(
        "web/index.html", "web/_result.html", erased=prediction_id, photo_erased=photo_erased
    )


@bp.route("/info")
def info():
    """Show the model card and how personal data is handled."""
    card = serving.parts(current_app).classifier.card.data
    return render("web/info.html", "web/_info.html", card=card)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    """Say in the card that the file is over the limit (raised before the view runs)."""
    limit = format_decimal(current_app.config["MAX_UPLOAD_MB"])
    return _result_error(
        413, gettext("The file is larger than %(limit)s MB; choose a smaller photo.", limit=limit)
    )


@bp.errorhandler(CSRFError)
def form_expired(error):
    """Say that a form without a valid CSRF token has expired."""
    message = gettext("This form has expired. Reload the page and try again.")
    if request.endpoint == "web.feedback":
        return _feedback_error((request.view_args or {})["prediction_id"], 400, message)
    if request.endpoint == "web.erase":
        return _erase_error(400, message)
    return _result_error(400, message)


def _result_error(status: int, message: str, title: str | None = None) -> Response:
    return render("web/index.html", "web/_result.html", status, error=message, error_title=title)


def _erase_error(status: int, message: str) -> Response:
    return _result_error(status, message, gettext("We could not delete this prediction"))


def _feedback_error(prediction_id: int, status: int, message: str) -> Response:
    return render(
        "web/feedback.html",
        "web/_feedback.html",
        status,
        prediction_id=prediction_id,
        request_id=request.form.get(SHOWN, ""),
        error=message,
        comment=request.form.get("comment", ""),
    )
