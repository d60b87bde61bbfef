"""A stale card or page acts on nothing: the row it showed was erased, and its id now names
another row (as SQLite gave it again before ids were made never to be reused, or as a database
migrated since still holds). The action answers 409 with a readable sentence and changes nothing."""

import re

import pytest

from catsdogs.extensions import db
from catsdogs.store import records
from catsdogs.store.tables import Prediction, TrainingPhoto
from tests.store.feedback_photos import keep_photo, small_jpeg
from tests.web.forms import HX, PLAIN, classify, csrf_token
from tests.web.test_language import FRENCH
from tests.web.test_review_page import login, review_app  # noqa: F401 (fixture)

STALE = "This page is out of date: what it showed was deleted. Reload it; nothing was changed."
# htmx swaps only a 200: the page's fragment says it there (catsdogs.web.render), a browser
# without htmx gets the 409.
STATUS = {"true": 200, "false": 409}
STALE_FR = "Cette page n’est plus à jour\u00a0: ce qu’elle montrait a été supprimé."


def hidden(page: str, action: str) -> dict:
    """The hidden fields of the form posting to `action`, as a browser sends them."""
    form = re.search(rf'action="{re.escape(action)}".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


def reuse(app, prediction_id: int, photo_id: int | None = None) -> None:
    """Erase the row and store another person's photo under the same ids."""
    with app.app_context():
        records.erase(prediction_id)
        db.session.add(
            Prediction(
                id=prediction_id,
                inference_time_ms=3.0,
                prediction_result="dog",
                proba_cat=0.1,
                proba_dog=0.9,
                model_version="other",
                rgpd_consent=True,
                training_consent=photo_id is not None,
                user_comment="someone else's",
            )
        )
        if photo_id is not None:
            jpeg = small_jpeg()
            db.session.add(
                TrainingPhoto(
                    id=photo_id, prediction_id=prediction_id, jpeg=jpeg, sha256="1" * 64,
                    width=40, height=30,
                )
            )  # fmt: skip
        db.session.commit()


def untouched(app, prediction_id: int) -> bool:
    with app.app_context():
        db.session.expire_all()
        row = db.session.get(Prediction, prediction_id)
        return row.user_feedback is None and row.user_comment == "someone else's"


@pytest.mark.parametrize("headers", [HX, PLAIN])
def test_a_vote_from_a_stale_card_is_refused(app, client, cat_photo, headers):
    card = classify(client, cat_photo, headers=HX).text
    form = hidden(card, "/feedback/1") | {"satisfied": "0", "comment": "wrong!"}
    reuse(app, 1)
    answer = client.post("/feedback/1", data=form, headers=headers)
    assert answer.status_code == STATUS[headers["HX-Request"]] and STALE in answer.text
    assert untouched(app, 1)


def test_the_stale_card_says_so_in_french(app, client, cat_photo):
    card = classify(client, cat_photo, headers=HX).text
    form = hidden(card, "/feedback/1") | {"satisfied": "1"}
    reuse(app, 1)
    answer = client.post("/feedback/1", data=form, headers=PLAIN | FRENCH)
    assert answer.status_code == 409 and STALE_FR in answer.text
    assert untouched(app, 1)


@pytest.mark.parametrize("headers", [HX, PLAIN])
def test_the_erase_button_of_a_stale_card_is_refused(app, client, cat_photo, headers):
    card = classify(client, cat_photo, headers=HX).text
    form = hidden(card, "/erase/1")
    reuse(app, 1)
    answer = client.post("/erase/1", data=form, headers=headers)
    assert answer.status_code == STATUS[headers["HX-Request"]] and STALE in answer.text
    assert untouched(app, 1)


def test_a_form_without_the_row_it_showed_is_refused(app, client, cat_photo):
    """An older page, or a hand-made form: the id alone does not say which row was seen."""
    classify(client, cat_photo, headers=HX)
    token = csrf_token(client)
    assert (
        client.post("/feedback/1", data={"satisfied": "1", "csrf_token": token}).status_code == 409
    )
    assert client.post("/erase/1", data={"csrf_token": token}).status_code == 409
    with app.app_context():
        assert db.session.get(Prediction, 1).user_feedback is None


def test_a_review_decision_from_a_stale_card_is_refused(review_app):  # noqa: F811
    with review_app.app_context():
        photo_id = keep_photo("cat", 1)
        prediction_id = db.session.get(TrainingPhoto, photo_id).prediction_id
    reviewer = review_app.test_client()
    login(reviewer)
    page = reviewer.get("/review").text
    form = hidden(page, f"/review/photos/{photo_id}") | {"decision": "cat"}
    reuse(review_app, prediction_id, photo_id)  # now a dog, another person's
    for headers in (HX, PLAIN):
        answer = reviewer.post(f"/review/photos/{photo_id}", data=form, headers=headers)
        assert answer.status_code == 409 and STALE in answer.text
    with review_app.app_context():
        photo = db.session.get(TrainingPhoto, photo_id)
        assert (photo.review, photo.label, photo.reviewer) == (None, None, None)
    fresh = hidden(reviewer.get("/review").text, f"/review/photos/{photo_id}")
    answer = reviewer.post(f"/review/photos/{photo_id}", data=fresh | {"decision": "dog"})
    assert answer.status_code == 303  # the reloaded card is the photo now kept under that id
