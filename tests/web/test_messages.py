"""The pages' sentences for service errors: one per code the pages meet, in the page's language."""

import pytest

from catsdogs.errors import ServiceError
from catsdogs.web import messages

# Every code the classify and feedback pages can get from the services they call.
PAGE_CODES = {
    "empty_file",
    "not_an_image",
    "image_too_large",
    "model_unavailable",
    "invalid_request",
    "not_found",
    "no_consent",
    "comment_too_long",
    "training_consent_without_consent",
}


def in_language(app, language: str, error: ServiceError, **values) -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        return messages.for_error(error, **values)


def test_every_code_the_pages_meet_has_its_sentence():
    assert set(messages.MESSAGES) == PAGE_CODES


@pytest.mark.parametrize("code", sorted(PAGE_CODES))
def test_each_sentence_reads_differently_in_french(app, code):
    error = ServiceError(code, "English words from the service")
    english, french = (in_language(app, lang, error, id=7) for lang in ("en", "fr"))
    assert english != french and "%(" not in french


def test_the_figures_are_filled_in(app):
    assert in_language(app, "en", ServiceError("not_found", "x"), id=7) == (
        "No prediction with id 7."
    )
    assert in_language(app, "fr", ServiceError("image_too_large", "x")) == (
        "L’image dépasse 40 millions de pixels."
    )
    assert "1000 caractères" in in_language(app, "fr", ServiceError("comment_too_long", "x"))


def test_a_code_without_a_sentence_keeps_the_services_english(app):
    error = ServiceError("too_many_files", "Send exactly one file in the `file` field.")
    assert in_language(app, "fr", error) == error.message
