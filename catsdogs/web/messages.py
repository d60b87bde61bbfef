"""What the pages say when something fails, in the page's language.

Services report failures in English (`ServiceError.message`, the JSON API's words, which stay
English: clients match on the code). The pages show the words of the code's line in the table
(catsdogs.errors) instead, or what a page knows better about its own form.
"""

from collections.abc import Mapping

from flask_babel import gettext

from catsdogs.errors import N_, ServiceError, lookup
from catsdogs.serving.imaging import MAX_PIXELS
from catsdogs.store.tables import COMMENT_MAX_LENGTH

__all__ = ["N_", "PREDICTION_WORDS", "for_error", "words"]

# The classify, feedback and erase pages know which prediction and which choice went wrong.
PREDICTION_WORDS = {
    "invalid_request": N_("Choose “Yes, right” or “No, wrong”."),
    "not_found": N_("No prediction with id %(id)s."),
}


def words(code: str, wording: Mapping[str, str] | None = None, **values: object) -> str:
    """The page's sentence for `code`: the page's own `wording` for it, else the table's."""
    message = (wording or {}).get(code) or lookup(code).words
    return gettext(message, megapixels=MAX_PIXELS // 1_000_000, limit=COMMENT_MAX_LENGTH, **values)


def for_error(
    error: ServiceError, wording: Mapping[str, str] = PREDICTION_WORDS, **values: object
) -> str:
    """The page's sentence for `error` (by default, as the prediction pages put it)."""
    return words(error.code, wording, **values)
