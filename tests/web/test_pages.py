"""The classify, feedback and info pages as a browser sees them: forms, CSRF, sessions, escaping."""

import io
import re

import pytest
from sqlalchemy import select

from catsdogs import serving, store
from catsdogs.extensions import db
from catsdogs.store.tables import COMMENT_MAX_LENGTH, Prediction
from tests.helpers import TOKEN, BrokenClassifier, image_bytes, serve_model
from tests.pictures import least_sure_pet
from tests.web.forms import HX, PLAIN, classify, csrf_token, erase, send_feedback

PAGES = ("/", "/monitoring", "/info")
SCRIPT = "<script>alert('x')</script>"
EVIL_NAME = "<img src=x onerror=alert(1)>.jpg"


def stored() -> list[Prediction]:
    return list(db.session.scalars(select(Prediction).order_by(Prediction.id)))


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_ready_for_a_strict_content_security_policy(client, path):
    body = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert not re.search(r"\sstyle=|\son[a-z]+=|javascript:", body)
    assert '"historyRestoreAsHxRequest": false' in body
    assert '"includeIndicatorStyles": false' in body
    assert TOKEN not in body


def test_the_consent_box_is_unticked_and_says_what_is_kept(client, app):
    body = client.get("/").get_data(as_text=True)
    box = re.search(r'<input id="consent"[^>]*>', body).group(0)
    assert "checked" not in box
    assert f"After {app.config['RETENTION_DAYS']} days the file name" in body
    assert "The photo itself is stored only if you tick the box below" in body


def test_classify_swaps_in_the_result_card(htmx, cat_photo):
    response = classify(htmx, cat_photo)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert re.search(r"It’s a <strong>(cat|dog)</strong>", body)
    assert "Probability of cat" in body and "Probability of dog" in body
    assert "Inference time" in body and "Model version" in body
    assert "Did we get it right?" in body


def test_a_sure_answer_has_no_doubt_in_it(htmx, cat_photo):
    body = classify(htmx, cat_photo).get_data(as_text=True)
    assert "It’s a <strong>cat</strong>" in body
    assert "not sure" not in body and "unsure" not in body


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_hesitant_answer_gets_a_not_sure_answer_and_a_grey_bar(htmx, classifier, language):
    # A pet photo the model hesitates on: a red pixel would now be "not a cat or a dog".
    photo, label = least_sure_pet(classifier)
    headers = {**HX, "Accept-Language": language}
    body = classify(htmx, photo, "pet.jpg", headers=headers).get_data(as_text=True)
    names = {"cat": "chat", "dog": "chien"}
    words = {
        "en": (f"Not sure: maybe a <strong>{label}</strong>", "may show neither a cat nor a dog"),
        "fr": (
            f"Pas sûr\u00a0: peut-être un <strong>{names[label]}</strong>",
            "ni un chat ni un chien",
        ),
    }[language]
    assert words[0] in body and words[1] in body
    assert '<meter class="bar unsure"' in body and "It’s a" not in body


def test_classify_without_javascript_renders_the_page_with_the_result(client, cat_photo):
    body = classify(client, cat_photo, headers=PLAIN).get_data(as_text=True)
    assert body.startswith("<!doctype html>") and "It’s a <strong>" in body


def test_without_consent_there_is_no_feedback_form(htmx, app, cat_photo):
    body = classify(htmx, cat_photo, consent=False).get_data(as_text=True)
    assert "It’s a <strong>" in body and "Did we get it right?" not in body
    with app.app_context():
        assert stored()[0].rgpd_consent is False and stored()[0].filename is None


def test_while_the_database_is_down_the_result_comes_without_feedback(
    app, htmx, cat_photo, monkeypatch
):
    writer = store.parts(app).writer
    monkeypatch.setattr(writer, "save_prediction", lambda *args: None)  # spooled
    body = classify(htmx, cat_photo).get_data(as_text=True)
    assert "It’s a <strong>" in body and "Did we get it right?" not in body
    assert "Feedback is not available for this photo right now" in body


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "empty.jpg", "The uploaded file is empty."),
        (b"this is text", "notes.jpg", "The file is not an image we can read."),
        (b"%PDF-1.7 ...", "scan.pdf", "The file is not an image we can read."),
    ],
)
def test_bad_uploads_show_plain_words_in_the_card(htmx, data, name, message):
    body = classify(htmx, data, name).get_data(as_text=True)
    assert 'role="alert"' in body and message in body


def test_no_file_chosen(htmx):
    form = {"csrf_token": csrf_token(htmx)}
    body = htmx.post("/classify", data=form).get_data(as_text=True)
    assert "Choose a photo first." in body


def test_a_file_over_the_limit_is_refused_in_the_card(app, htmx):
    app.config.update(MAX_UPLOAD_MB=0.01, MAX_CONTENT_LENGTH=10_000)
    big = image_bytes(size=(400, 400), fmt="BMP")
    assert "larger than 0.01 MB" in classify(htmx, big, "big.bmp").get_data(as_text=True)


def test_a_missing_model_is_explained(htmx, app):
    serve_model(app, BrokenClassifier())
    body = classify(htmx, image_bytes()).get_data(as_text=True)
    assert "The model is unavailable right now" in body and "NoneType" not in body


def test_forms_without_a_csrf_token_are_refused(app, client, htmx, cat_photo):
    upload = {"file": (io.BytesIO(cat_photo), "cat.jpg"), "consent": "yes"}
    assert client.post("/classify", data=upload, headers=PLAIN).status_code == 400
    body = htmx.post("/classify", data={"file": (io.BytesIO(cat_photo), "cat.jpg")})
    assert "This form has expired" in body.get_data(as_text=True)
    with app.app_context():
        assert stored() == []


def test_feedback_without_a_csrf_token_is_refused(app, htmx, cat_photo):
    classify(htmx, cat_photo)
    assert htmx.post("/feedback/1", data={"satisfied": "1"}, headers=PLAIN).status_code == 400
    assert "This form has expired" in htmx.post("/feedback/1", data={"satisfied": "1"}).text
    with app.app_context():
        assert stored()[0].user_feedback is None


def test_feedback_is_recorded_and_the_recorded_vote_shown_pressed(app, htmx, cat_photo):
    classify(htmx, cat_photo)
    body = send_feedback(htmx, 1, "0", "It is my neighbour's dog").get_data(as_text=True)
    assert "Thank you!" in body and " disabled" not in body
    assert re.search(r'value="0" aria-pressed="true"', body)
    assert re.search(r'value="1" aria-pressed="false"', body)
    assert ">It is my neighbour&#39;s dog</textarea>" in body
    with app.app_context():
        row = stored()[0]
        assert row.user_feedback == 0 and row.user_comment == "It is my neighbour's dog"


def test_a_person_can_change_their_vote(app, htmx, cat_photo):
    classify(htmx, cat_photo)
    send_feedback(htmx, 1, "0", "wrong")
    body = send_feedback(htmx, 1, "1", "right after all").get_data(as_text=True)
    assert "yes, it was right" in body and 'value="1" aria-pressed="true"' in body
    with app.app_context():
        row = stored()[0]
        assert row.user_feedback == 1 and row.user_comment == "right after all"


def test_feedback_on_a_prediction_of_another_session_is_refused(app, cat_photo):
    owner, stranger = app.test_client(), app.test_client()
    classify(owner, cat_photo, headers=HX)
    response = send_feedback(stranger, 1, headers=HX)
    assert "No prediction with id 1." in response.get_data(as_text=True)
    assert send_feedback(stranger, 1, headers=PLAIN).status_code == 404
    with app.app_context():
        assert stored()[0].user_feedback is None
    assert "Thank you!" in send_feedback(owner, 1, headers=HX).get_data(as_text=True)


def test_a_consented_prediction_can_be_deleted_from_its_result(app, htmx, cat_photo):
    result = classify(htmx, cat_photo).get_data(as_text=True)
    assert 'action="/erase/1"' in result and "Delete this prediction" in result
    body = erase(htmx, 1).get_data(as_text=True)
    assert "<html" not in body and "Prediction deleted" in body
    assert "Prediction 1 is deleted" in body
    with app.app_context():
        assert stored() == []
    assert "No prediction with id 1." in send_feedback(htmx, 1).get_data(as_text=True)


def test_deleting_without_javascript_shows_the_page_saying_so(app, client, cat_photo):
    classify(client, cat_photo, headers=PLAIN)
    response = erase(client, 1, headers=PLAIN)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith("<!doctype html>")
    assert "Prediction deleted" in body and 'id="classify-form"' in body
    with app.app_context():
        assert stored() == []


def test_without_consent_there_is_nothing_to_delete(htmx, cat_photo):
    body = classify(htmx, cat_photo, consent=False).get_data(as_text=True)
    assert "Delete this prediction" not in body
    assert erase(htmx, 1, headers=PLAIN).status_code == 404


def test_a_prediction_of_another_session_cannot_be_deleted(app, cat_photo):
    owner, stranger = app.test_client(), app.test_client()
    classify(owner, cat_photo, headers=HX)
    body = erase(stranger, 1, headers=HX).get_data(as_text=True)
    assert "We could not delete this prediction" in body and "No prediction with id 1." in body
    assert erase(stranger, 1, headers=PLAIN).status_code == 404
    with app.app_context():
        assert len(stored()) == 1


def test_deleting_without_a_csrf_token_is_refused(app, htmx, cat_photo):
    classify(htmx, cat_photo)
    assert htmx.post("/erase/1", headers=PLAIN).status_code == 400
    assert "This form has expired" in htmx.post("/erase/1").get_data(as_text=True)
    with app.app_context():
        assert len(stored()) == 1


def test_feedback_needs_a_vote(htmx, cat_photo):
    classify(htmx, cat_photo)
    body = send_feedback(htmx, 1, satisfied="maybe").get_data(as_text=True)
    assert "Choose “Yes, right” or “No, wrong”." in body


def test_script_in_a_file_name_is_rendered_inert(htmx, cat_photo):
    body = classify(htmx, cat_photo, EVIL_NAME).get_data(as_text=True)
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in body


def test_script_in_a_comment_is_rendered_inert(htmx, cat_photo):
    classify(htmx, cat_photo)
    comment = SCRIPT + "x" * COMMENT_MAX_LENGTH  # too long: the form comes back with it
    body = send_feedback(htmx, 1, comment=comment).get_data(as_text=True)
    assert "limited to 1000 characters" in body
    assert SCRIPT not in body and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body


def test_the_info_page_reads_the_model_card(client, app):
    card = serving.parts(app).classifier.card.data
    body = client.get("/info").get_data(as_text=True)
    assert card["version"] in body and card["architecture"] in body
    assert f"<dd>{card['evaluation']['test']['accuracy'] * 100:.1f}%</dd>" in body
    assert f"deleted after {app.config['RETENTION_DAYS']} days" in body


@pytest.mark.parametrize(
    "language, button",
    [("en", "“Delete this prediction” button"), ("fr", "«\u00a0Supprimer cette prédiction\u00a0»")],
)
def test_the_info_page_says_how_to_delete_a_prediction(client, language, button):
    body = client.get("/info", headers={"Accept-Language": language}).get_data(as_text=True)
    assert button in body and "operator" not in body and "exploitant" not in body


def test_the_info_page_copes_with_a_card_without_figures(client, app, monkeypatch):
    card = serving.parts(app).classifier.card.data
    for key in ("evaluation", "dataset", "training"):
        monkeypatch.delitem(card, key)
    body = client.get("/info").get_data(as_text=True)
    assert "How well it works" in body and "Accuracy</dt><dd>–" in body


def test_a_full_disk_during_a_database_outage_says_the_photo_was_not_kept(
    make_app, tmp_path, cat_photo, monkeypatch
):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")

    def full(_):
        raise OSError(28, "No space left on device")  # ENOSPC

    monkeypatch.setattr("catsdogs.store.spool.os.fsync", full)
    answer = classify(down.test_client(), cat_photo)
    assert answer.status_code == 503
    assert "its disk is full), so this one was not kept" in answer.get_data(as_text=True)


# Emoji and pictographs: a device without an emoji font draws them as empty boxes.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")


def test_the_shown_probabilities_add_up_to_100_percent(htmx, cat_photo):
    body = classify(htmx, cat_photo).get_data(as_text=True)
    shares = [float(s) for s in re.findall(r"</meter> (\d+\.\d)%</dd>", body)]
    assert len(shares) == 2 and round(sum(shares), 1) == 100.0
    confident = float(re.search(r'class="big">(\d+\.\d)% confident', body).group(1))
    assert confident == max(shares)  # the headline reads as the predicted class's own share


def test_deleting_asks_first_and_says_the_kept_photo_went_too(app, htmx, cat_photo):
    result = classify(htmx, cat_photo, training_consent=True).get_data(as_text=True)
    # The button only opens the question; the form that deletes sits behind it.
    question = re.search(r'<details class="erase">.*?</details>', result, re.S).group(0)
    assert "<summary" in question and "Delete this prediction</summary>" in question
    assert "and the kept copy of your photo now? This cannot be undone." in question
    assert 'action="/erase/1"' in question and ">Yes, delete it</button>" in question
    assert result.count('action="/erase/1"') == 1
    body = erase(htmx, 1).get_data(as_text=True)
    assert "feedback and the small copy of your photo kept to improve the model." in body


def test_the_deleted_card_names_no_photo_when_none_was_kept(htmx, cat_photo):
    classify(htmx, cat_photo)
    body = erase(htmx, 1).get_data(as_text=True)
    assert "file name, result and feedback." in body and "copy of your photo" not in body


def test_the_pages_hold_no_emoji(app, htmx, cat_photo):
    pages = [htmx.get(path, headers=PLAIN).get_data(as_text=True) for path in PAGES]
    pages.append(classify(htmx, cat_photo).get_data(as_text=True))
    pages.append(send_feedback(htmx, 1, "1").get_data(as_text=True))
    pages.append(htmx.get("/monitoring", headers=PLAIN).get_data(as_text=True))  # a vote listed
    pages.append(erase(htmx, 1).get_data(as_text=True))
    assert [EMOJI.findall(page) for page in pages] == [[]] * len(pages)
    assert pages[4].count('class="icon"') == 2  # the vote buttons' thumbs, drawn in SVG


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "After 30 days the file name and your comment are deleted; only your anonymous vote"
            " (right or wrong) stays, with the anonymous result.",
        ),
        (
            "fr",
            "Au bout de 30 jours, le nom du fichier et votre commentaire sont effacés\u00a0; seul"
            " votre vote anonyme (juste ou faux) reste, avec le résultat anonyme.",
        ),
    ],
)
def test_home_and_info_say_the_same_about_what_retention_deletes(client, app, language, sentence):
    app.config["RETENTION_DAYS"] = 30
    headers = {"Accept-Language": language}
    for path in ("/", "/info"):
        assert sentence in client.get(path, headers=headers).get_data(as_text=True), path


def test_the_info_page_says_where_not_sure_begins(client, app):
    unsure_below = serving.parts(app).classifier.card.unsure_below
    body = client.get("/info").get_data(as_text=True)
    assert f"{unsure_below * 100:.0f}% confidence: under it, the answer says" in body
    french = client.get("/info", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert f"{unsure_below * 100:.0f}\u00a0% de confiance\u00a0: en dessous" in french


def test_the_info_page_builds_its_phrases_in_french(client):
    body = client.get("/info", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "processeur x86_64, 2\u00a0cœurs" in body or "processeur x86_64, 2 cœurs" in body
    assert "2 cores" not in body
    assert "Affiné à partir de la couche</dt><dd>block_12_add</dd>" in body
    assert '<span lang="en">MobileNetV2' in body  # the card's own words, marked as English
