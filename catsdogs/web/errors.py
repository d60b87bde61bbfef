"""The one error handler: JSON on the API's paths, the site's styled page everywhere else.

Every error that no view or blueprint answered itself comes here: a ServiceError, an HTTP error
of Flask, Werkzeug, webargs or the rate limiter, or a crash. Codes, statuses and words come from
the table in catsdogs.errors; the page speaks the page's language, the JSON stays English.
"""

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from catsdogs.api import errors as api_errors
from catsdogs.errors import ServiceError
from catsdogs.web import messages

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    """Answer every error with `handle` (after catsdogs.api: it replaces flask-smorest's own).

    Flask looks for a blueprint's handler (the cards' "file too large", "form expired") before
    the app's, so those still answer first on their pages.
    """
    app.register_error_handler(HTTPException, handle)  # flask-smorest registers one for these
    app.register_error_handler(Exception, handle)


def handle(error: Exception) -> ResponseReturnValue:
    """The JSON error for the API, the page for a browser; a crash is logged, never shown."""
    if not isinstance(error, ServiceError | HTTPException):
        log.exception("unhandled error on %s %s", request.method, request.path)
    if api_errors.wants_json():
        return api_errors.json_error(error)
    return page(error)


def page(error: Exception) -> ResponseReturnValue:
    """The site's error page for `error`, with its status and the headers a browser needs."""
    code, entry = api_errors.identify(error)
    text = messages.words(code)
    context = {"status": entry.status, "title": gettext(entry.title), "text": text}
    return render_template("error.html", **context), entry.status, api_errors.kept_headers(error)
