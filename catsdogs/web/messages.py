"""What the pages say when a service refuses something, in the page's language.

Services report failures in English (`ServiceError.message`, the JSON API's words, which stay
English: clients match on the code). The pages show the sentence kept here for the code instead.
"""

from flask_babel import gettext

from catsdogs.errors import ServiceError
from catsdogs.serving.imaging import MAX_PIXELS
from catsdogs.store.tables import COMMENT_MAX_LENGTH


def N_(message: str) -> str:
    """Mark `message` for the catalog; it is translated when shown, in that request's language."""
    return message


# One sentence per code: the page does not tell a corrupt image from a foreign format.
MESSAGES = {
    "empty_file": N_("The uploaded file is empty."),
    "not_an_image": N_("The file is not an image we can read."),
    "image_too_large": N_("The image has more than %(megapixels)s million pixels."),
    "model_unavailable": N_("The model is unavailable right now; try again later."),
    "invalid_request": N_("Choose “Yes, right” or “No, wrong”."),
    "not_found": N_("No prediction with id %(id)s."),
    "no_consent": N_("Feedback is only kept for predictions made with consent."),
    "comment_too_long": N_("Comments are limited to %(limit)s characters."),
    "training_consent_without_consent": N_(
        "To keep your photo for the model, also tick “Keep the file name of my photo and let "
        "me give feedback”: a kept photo is linked to that record."
    ),
}


def for_error(error: ServiceError, **values) -> str:
    """The page's sentence for `error` (its English message if the page has none)."""
    message = MESSAGES.get(error.code)
    if message is None:
        return error.message
    return gettext(message, megapixels=MAX_PIXELS // 1_000_000, limit=COMMENT_MAX_LENGTH, **values)
