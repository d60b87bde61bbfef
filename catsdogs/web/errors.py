"""The error page of the site (404, 405, 429, 500...): styled, in the page's language.

The JSON API's paths keep their JSON errors, in English: `catsdogs.api.errors` decides which.
"""

from flask import Flask, render_template
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, default_exceptions

from catsdogs.api import errors as api_errors
from catsdogs.web.messages import N_

# (title, sentence) for the statuses a visitor meets; any other gets GENERIC.
WORDS = {
    404: (
        N_("Page not found"),
        N_("There is nothing at this address. Check it, or start again from the home page."),
    ),
    405: (N_("Request not accepted"), N_("This address does not accept this kind of request.")),
    429: (N_("Too many requests"), N_("Please wait a minute and try again.")),
    500: (
        N_("Something went wrong"),
        N_("Something went wrong on our side. Please try again in a moment."),
    ),
}
GENERIC = (N_("Request failed"), N_("The request could not be completed."))
KEPT_HEADERS = ("Allow", "Retry-After")


def register(app: Flask) -> None:
    """Answer every HTTP error status with the page, except on the API's paths.

    Flask looks for a handler by status before one by class, so these see every HTTP error
    before the API's handler of HTTPException; they hand the API's paths over to it.
    """
    for status in default_exceptions:
        app.register_error_handler(status, http_error)


def http_error(error: HTTPException):
    """The page for a browser, the JSON error for the API."""
    if api_errors.wants_json():
        return api_errors.handle_http_exception(error)
    status = error.code or 500
    title, text = WORDS.get(status, GENERIC)
    page = render_template("error.html", status=status, title=gettext(title), text=gettext(text))
    return page, status, {k: v for k, v in error.get_headers() if k in KEPT_HEADERS}
