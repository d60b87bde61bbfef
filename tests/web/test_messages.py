"""The pages' sentences for errors: the table's words, or a page's own, in the page's language."""

import pytest

from catsdogs.errors import ERRORS, ServiceError
from catsdogs.web import messages


def in_language(app, language: str, error: ServiceError, *wording, **values) -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        return messages.for_error(error, *wording, **values)


@pytest.mark.parametrize("code", sorted({*ERRORS, *messages.PREDICTION_WORDS}))
def test_each_sentence_reads_differently_in_french(app, code):
    error = ServiceError(code, "English words from the service")
    english, french = (in_language(app, lang, error, id=7) for lang in ("en", "fr"))
    assert english != french and "%(" not in french
    assert "English words" not in english  # the service's words are the JSON API's


def test_the_figures_are_filled_in(app):
    assert in_language(app, "en", ServiceError("not_found", "x"), id=7) == (
        "No prediction with id 7."
    )
    assert in_language(app, "fr", ServiceError("image_too_large", "x")) == (
        "L’image dépasse 40 millions de pixels."
    )
    assert "1000 caractères" in in_language(app, "fr", ServiceError("comment_too_long", "x"))


def test_a_page_s_own_words_come_before_the_table_s(app):
    error = ServiceError("not_found", "x")
    assert in_language(app, "en", error, {}) == ERRORS["not_found"].words
    assert in_language(app, "en", error, {"not_found": "Gone."}) == "Gone."


def test_a_code_without_page_words_shows_the_table_s_in_french(app):
    error = ServiceError("too_many_files", "Send exactly one file in the `file` field.")
    assert in_language(app, "fr", error) == "Envoyez un seul fichier dans le champ `file`."


def test_a_code_missing_from_the_table_still_reads_as_a_failure(app):
    assert in_language(app, "fr", ServiceError("brand_new", "x")) == (
        "La requête n’a pas pu aboutir."
    )
