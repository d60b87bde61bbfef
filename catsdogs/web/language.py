"""The pages' language: the one chosen with the switch (kept in the session), else the browser's.

The switch is a plain link, `GET /language/fr?next=/info`: it works without JavaScript, and it
needs no CSRF token because all it can change is the words on the visitor's own pages.
"""

from urllib.parse import urlsplit

from flask import Blueprint, abort, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from catsdogs.config import LANGUAGES

bp = Blueprint("language", __name__)
NAMES = {"en": "English", "fr": "Français"}  # each in its own language, for the switch
DEFAULT = "en"
SESSION_KEY = "language"


def select() -> str:
    """Flask-Babel's locale selector: the session's choice, else Accept-Language, else English."""
    if not has_request_context():  # a background thread or the factory: the default
        return DEFAULT
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


@bp.route("/language/<code>")
def choose(code: str) -> ResponseReturnValue:
    """Keep the chosen language in the session and go back to the page the link was on."""
    if code not in LANGUAGES:
        abort(404)
    session[SESSION_KEY] = code
    return redirect(local_path(request.args.get("next")))


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else the home page: never an open redirect."""
    # Browsers read "//host", "/\host" and "/<tab>/host" as another site: refuse them all.
    if (
        target
        and target.startswith("/")
        and target[1:2] not in ("/", "\\")
        and "\\" not in target
        and all(char.isprintable() and not char.isspace() for char in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("web.index")


def links() -> dict:
    """Give every page its language, the languages offered and the path the switch returns to."""
    # After a form posted without JavaScript, the address is a POST-only view: go home instead.
    here = request.full_path.rstrip("?") if request.method == "GET" else url_for("web.index")
    return {"current_locale": str(get_locale()), "languages": NAMES, "here": here}
