"""The label review page for maintainers: its own login (REVIEWER_PASSWORD), the queue of kept
photos, and one decision per click (htmx) or key."""

import hashlib
import hmac
import logging
import secrets
import time
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound

from catsdogs import ratelimit, serving
from catsdogs.store import review
from catsdogs.errors import N_, ServiceError, status_for
from catsdogs.extensions import db
from catsdogs.web import messages
from catsdogs.web.render import render, wants_fragment

bp = Blueprint("review", __name__, url_prefix="/review")
log = logging.getLogger(__name__)
SESSION_REVIEWER = "reviewer"
SESSION_KEY = "reviewer_key"
SESSION_ID, SESSION_SINCE = "reviewer_session", "reviewer_since"
SESSION_SECONDS = 12 * 3600  # a login lasts a working day, then the password is asked again
REFUSALS = {
    401: N_("Log in as a reviewer first."),
    403: N_("Review is disabled: REVIEWER_PASSWORD is not set."),
    503: N_("Login is closed for now: its attempt limits cannot be counted. Try again later."),
    400: N_("The queue is sorted by value or oldest first: choose one of the two."),
}
ORDER = "value"  # the queue's default order
# What a decision's refusal means on this page (other codes: the table's words).
DECISION_ERRORS = {
    "invalid_request": N_("Choose Confirm, Correct, Neither or Reject."),
    "not_found": N_("This photo is no longer kept."),
}


def password() -> str | None:
    return current_app.config["REVIEWER_PASSWORD"] or None


def password_key(secret: str) -> str:
    """What the session keeps of the password: changing the password logs every reviewer out.

    An HMAC under SECRET_KEY, so the signed (readable) cookie reveals nothing to guess from."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:32]


def live_key(session_id: str) -> str:
    return f"catsdogs/review-session/{session_id}"


def session_live(session_id: object, since: object) -> bool:
    """Whether this login is under SESSION_SECONDS old and not logged out.

    Each login's random id is kept in the limit storage (Redis when the replicas share limits),
    so a logout anywhere ends every copy of the cookie; unreadable storage means logged out."""
    if not isinstance(session_id, str) or not isinstance(since, float | int):
        return False
    if not 0 <= time.time() - since < SESSION_SECONDS:
        return False
    try:
        return ratelimit.storage(current_app).get(live_key(session_id)) > 0
    except Exception:
        log.warning("review login: the limit storage does not answer, session refused")
        return False


def reviewer() -> str | None:
    """The logged-in reviewer's name, or None."""
    secret = password()
    mark = session.get(SESSION_KEY, "")
    if not secret or not hmac.compare_digest(mark.encode(), password_key(secret).encode()):
        return None
    if not session_live(session.get(SESSION_ID), session.get(SESSION_SINCE)):
        return None
    return session.get(SESSION_REVIEWER)


def page_for(number: int = 1, order: str = ORDER, **context: object) -> str:
    """The login form, or the queue's page `number` in `order` for a logged-in reviewer."""
    name = reviewer()
    if name is not None:
        threshold = serving.parts(current_app).classifier.card.neither_above
        queue = review.queue(number, order=order, neither_above=threshold)
        context.update(reviewer=name, queue=queue, counts=review.counts())
    return render_template(
        "web/review.html", review_enabled=password() is not None, order=order, **context
    )


def order_asked(values: dict) -> str | None:
    """The queue's order the request names (the default when none), None when unknown."""
    order = values.get("order") or ORDER
    return order if order in review.ORDERS else None


def refused(status: int, message: str | None = None, **context: Any) -> Response:
    """The page with a readable refusal and `status`; htmx is sent back to the login form."""
    text = message or gettext(REFUSALS[status])
    response = make_response(page_for(error=text, **context), status)
    if status == 401 and wants_fragment():
        response.headers["HX-Redirect"] = url_for("review.page")
    return response


@bp.route("")
def page():
    """The login form, or the queue of kept photos for a logged-in reviewer."""
    requested = request.args.get("page", "1")
    number = requested.isascii() and requested.isdigit() and len(requested) < 7
    order = order_asked(request.args)
    if order is None:
        return refused(400)
    return page_for(int(requested) if number else 1, order)


@bp.route("/login", methods=["POST"])
def login():
    """Log a reviewer in with the shared password; the name goes into the signed session."""
    secret = password()
    if secret is None:
        return refused(403)
    if not ratelimit.login_open(current_app):  # its limits would be skipped: no guessing then
        return refused(503)
    given = request.form.get("password", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return refused(401, gettext("Wrong password."), name=request.form.get("name", ""))
    try:
        name = review.clean_reviewer(request.form.get("name"))
    except ServiceError:
        limit = review.REVIEWER_MAX_LENGTH
        return refused(400, gettext("Give your name, up to %(limit)s characters.", limit=limit))
    session_id = secrets.token_urlsafe(24)
    try:
        ratelimit.storage(current_app).incr(live_key(session_id), SESSION_SECONDS)
    except Exception:
        return refused(503)
    session[SESSION_REVIEWER], session[SESSION_KEY] = name, password_key(secret)
    session[SESSION_ID], session[SESSION_SINCE] = session_id, time.time()
    return redirect(url_for("review.page"), 303)


@bp.route("/logout", methods=["POST"])
def logout():
    """Forget the reviewer, here and in every copy of the session cookie."""
    session_id = session.pop(SESSION_ID, None)
    if isinstance(session_id, str):
        try:
            ratelimit.storage(current_app).clear(live_key(session_id))
        except Exception:
            log.warning("review logout: the limit storage does not answer, copies stay valid")
    for key in (SESSION_REVIEWER, SESSION_KEY, SESSION_SINCE):
        session.pop(key, None)
    return redirect(url_for("review.page"), 303)


@bp.route("/photos/<int:photo_id>.jpg")
def photo(photo_id: int) -> ResponseReturnValue:
    """A kept photo, for a logged-in reviewer only, never cached on the way."""
    if reviewer() is None:
        return refused(403 if password() is None else 401)
    try:
        jpeg = review.get(photo_id).jpeg
    except ServiceError as error:
        raise NotFound() from error
    response = make_response(jpeg)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/photos/<int:photo_id>", methods=["POST"])
def decide(photo_id: int) -> ResponseReturnValue:
    """Record the reviewer's decision on one photo; htmx swaps its card for the reviewed one."""
    name = reviewer()
    if name is None:
        return refused(403 if password() is None else 401)
    order = order_asked(request.form) or ORDER
    try:
        decision, shown = request.form.get("decision", ""), request.form.get("request_id", "")
        photo = review.review(photo_id, decision, name, shown)
    except ServiceError as error:
        return refused(status_for(error), messages.for_error(error, DECISION_ERRORS), order=order)
    if not wants_fragment():
        return redirect(url_for("review.page", order=order), 303)
    return render(
        "web/review.html",
        "web/_review_decided.html",
        photo=photo,
        just_reviewed=True,
        counts=review.counts(),
        order=order,
    )


@bp.errorhandler(CSRFError)
def form_expired(error):
    """Say that a form without a valid CSRF token has expired; nothing was recorded."""
    return refused(400, gettext("This form has expired. Reload the page and try again."))


@bp.errorhandler(SQLAlchemyError)
def database_unavailable(error):
    """Say that the database does not answer (503), without the queue that needs it."""
    db.session.rollback()
    log.warning("review page: the database does not answer")
    message = gettext("The database does not answer; try again in a moment.")
    page = render_template("web/review.html", review_enabled=True, error=message, unavailable=True)
    return page, 503
