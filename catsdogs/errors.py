"""Every failure the service reports, in one table: code -> HTTP status, English sentence.

Services raise `ServiceError(code, message)`. The JSON API answers `{"error": code, "message":
message}` with the code's status (catsdogs.api.errors), the pages show the code's words in the
page's language (catsdogs.web), and cv_errors_total counts each code under its own label
(catsdogs.monitoring.metrics). A new code is one new line in ERRORS: tests/test_errors.py fails
on any code raised in catsdogs/ that is missing here, or that has no French.
"""

from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark `message` for the catalog; it is translated when shown, in that request's language."""
    return message


class ServiceError(Exception):
    """An expected failure: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


REQUEST_FAILED = N_("Request failed")
COULD_NOT_COMPLETE = N_("The request could not be completed.")


@dataclass(frozen=True)
class Error:
    """What a code means to a program (status, English sentence) and to a person (the page)."""

    status: int
    # English, never translated: the API's message for the HTTP errors of Flask, Werkzeug or
    # webargs (a service's ServiceError brings its own, more precise message).
    sentence: str
    page: str | None = None  # the msgid the pages translate, where it is not `sentence`
    title: str = REQUEST_FAILED  # the heading of the site's error page

    @property
    def words(self) -> str:
        """The msgid that the pages show, in the page's language."""
        return self.page or self.sentence


# Codes the pages only ever answered "the request could not be completed" keep that page.
ERRORS: dict[str, Error] = {
    "bad_request": Error(400, "The request is malformed.", COULD_NOT_COMPLETE),
    "invalid_request": Error(400, N_("The request parameters are invalid.")),
    "invalid_tensor": Error(400, N_("The tensors of the request cannot be read.")),
    "invalid_image": Error(400, N_("One of the images cannot be classified.")),
    "too_many_images": Error(400, N_("Too many images in one request.")),
    "missing_file": Error(400, N_("Send the photo as a file in the `file` field.")),
    "too_many_files": Error(400, N_("Send exactly one file in the `file` field.")),
    "empty_file": Error(400, N_("The uploaded file is empty.")),
    "comment_too_long": Error(
        400, "The comment is too long.", N_("Comments are limited to %(limit)s characters.")
    ),
    "training_consent_without_consent": Error(
        400,
        "Keeping the photo for training (training_consent) also needs rgpd_consent.",
        N_(
            "To keep your photo for the model, also tick “Keep the file name of my photo and "
            "let me give feedback”: a kept photo is linked to that record."
        ),
    ),
    "unauthorized": Error(401, "A valid API token is required.", COULD_NOT_COMPLETE),
    "token_in_query": Error(
        401, "Send the token in the Authorization header, not in the URL.", COULD_NOT_COMPLETE
    ),
    "forbidden": Error(403, "This action is not allowed.", COULD_NOT_COMPLETE),
    "insufficient_scope": Error(
        403, "This API token lacks the scope this endpoint needs.", COULD_NOT_COMPLETE
    ),
    "no_consent": Error(403, N_("Feedback is only kept for predictions made with consent.")),
    "not_found": Error(
        404,
        "Nothing exists at this address.",
        N_("There is nothing at this address. Check it, or start again from the home page."),
        N_("Page not found"),
    ),
    "method_not_allowed": Error(
        405,
        "This method is not allowed here.",
        N_("This address does not accept this kind of request."),
        N_("Request not accepted"),
    ),
    "no_registry": Error(409, N_("No model registry: set MLFLOW_TRACKING_URI.")),
    # An action from a page that showed another row under this id (erased since, the id reused).
    "stale": Error(
        409,
        "This is not the record that was shown any more.",
        N_("This page is out of date: what it showed was deleted. Reload it; nothing was changed."),
    ),
    "file_too_large": Error(413, "The upload is larger than the allowed size.", COULD_NOT_COMPLETE),
    "image_too_large": Error(
        413,
        "The image has too many pixels.",
        N_("The image has more than %(megapixels)s million pixels."),
    ),
    "image_too_large_to_decode": Error(
        413, N_("The image would take too much memory to decode: send a smaller photo, or a JPEG.")
    ),
    "not_an_image": Error(415, N_("The file is not an image we can read.")),
    "unsupported_media_type": Error(415, "This content type is not supported.", COULD_NOT_COMPLETE),
    "rate_limited": Error(
        429,
        "Too many requests; try again later.",
        N_("Please wait a minute and try again."),
        N_("Too many requests"),
    ),
    "internal_error": Error(
        500,
        "Something went wrong on our side.",
        N_("Something went wrong on our side. Please try again in a moment."),
        N_("Something went wrong"),
    ),
    "model_unavailable": Error(503, N_("The model is unavailable right now; try again later.")),
    "registry_unreachable": Error(
        503, N_("The model registry cannot be reached; the current model keeps serving.")
    ),
    "storage_full": Error(
        503,
        N_(
            "The service cannot record predictions right now (its disk is full), so this one "
            "was not kept. Try again later."
        ),
    ),
}
# The code that reports an HTTP error raised by Flask, Werkzeug, webargs or the rate limiter.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "file_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",  # webargs' validation errors, answered as 400
    429: "rate_limited",
    500: "internal_error",
}
# A code missing from ERRORS is a bug (the test catches it); it must still not become a KeyError.
UNKNOWN = Error(500, "Request failed.", COULD_NOT_COMPLETE)


def lookup(code: str) -> Error:
    """The table's line for `code`."""
    return ERRORS.get(code, UNKNOWN)


def status_for(error: ServiceError) -> int:
    """The HTTP status that reports `error`."""
    return lookup(error.code).status
