"""The label review page: its own login, one-click decisions with htmx, refusals that change
nothing, the photo behind the login, and the counts on the monitoring page and in /metrics."""

import re

import pytest

from catsdogs.extensions import db
from catsdogs.store.tables import TrainingPhoto
from tests.helpers import metric_samples
from tests.store.feedback_photos import keep_photo, row, small_jpeg
from tests.store.test_review_order import keep
from tests.web.forms import HX, PLAIN, csrf_token

PASSWORD = "correct horse battery staple"
UNTOUCHED = (None, None, None, None)


@pytest.fixture
def review_app(make_app):
    return make_app(REVIEWER_PASSWORD=PASSWORD)


@pytest.fixture
def reviewer(review_app):
    """A client logged in as the reviewer "Ada"."""
    client = review_app.test_client()
    assert login(client).status_code == 303
    return client


@pytest.fixture
def photos(review_app):
    """A kept photo with a 👍 on "cat" (proposed: cat) and a comment; another without a vote."""
    with review_app.app_context():
        return keep_photo("cat", 1, comment="Minou <b>asleep</b>"), keep_photo("dog", None)


def login(client, password=PASSWORD, name="Ada"):
    form = {"name": name, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/review/login", data=form)


def decide(client, photo_id, decision, headers=HX, token=None, row=None):
    """Decide from a card showing the photo as it is now, or as it was (`row`: the request_id of
    its prediction then)."""
    form = {"decision": decision, "csrf_token": token or csrf_token(client), "request_id": row}
    if row is None:
        with client.application.app_context():
            photo = db.session.get(TrainingPhoto, photo_id)
            form["request_id"] = photo.prediction.request_id if photo else ""
    return client.post(f"/review/photos/{photo_id}", data=form, headers=headers)


def stored(app, photo_id):
    with app.app_context():
        return row(photo_id)


def test_the_page_asks_for_the_reviewer_login(review_app, photos):
    body = review_app.test_client().get("/review").get_data(as_text=True)
    assert 'name="password"' in body and 'type="password"' in body and "Log in" in body
    assert "/review/photos/" not in body


def test_a_reviewer_sees_each_kept_photo_with_its_prediction_feedback_and_proposal(
    reviewer, photos
):
    body = reviewer.get("/review").get_data(as_text=True)
    assert "Logged in as Ada." in body and "Log out" in body
    first = body[body.index(f'id="photo-{photos[0]}"') : body.index(f'id="photo-{photos[1]}"')]
    assert "cat · 90.0% · model v-test" in first
    assert "</svg> right</dd>" in first  # a drawn thumb, no emoji font needed
    assert "Minou &lt;b&gt;asleep&lt;/b&gt;" in first  # escaped
    assert re.search(r"Proposed label</dt>\s*<dd>cat</dd>", first)
    assert "Confirm" in first and "Correct to dog" in first and "Reject" in first
    assert 'value="neither"' in first and 'aria-keyshortcuts="n"' in first and "Neither" in first
    second = body[body.index(f'id="photo-{photos[1]}"') :]
    assert "no vote" in second and "Confirm" not in second
    assert 'value="cat"' in second and 'value="dog"' in second  # Cat / Dog without a proposal
    assert 'aria-keyshortcuts="r"' in body and "<kbd>j</kbd>" in body
    # Ready for the strict Content-Security-Policy: no inline script, style or handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert not re.search(r"\sstyle=|\son[a-z]+=|javascript:", body)
    assert "2 kept, 0 reviewed, 0 rejected, 2 waiting. Neither a cat nor a dog: 0." in body
    assert "<kbd>n</kbd> neither a cat nor a dog" in body


def test_the_photo_is_served_behind_the_login_and_never_cached(review_app, reviewer, photos):
    answer = reviewer.get(f"/review/photos/{photos[0]}.jpg")
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert answer.data == small_jpeg()
    assert set(answer.headers["Cache-Control"].split(", ")) == {"no-store", "private"}
    assert review_app.test_client().get(f"/review/photos/{photos[0]}.jpg").status_code == 401
    assert reviewer.get("/review/photos/999.jpg").status_code == 404


@pytest.mark.parametrize(
    ("photo", "decision", "state", "label", "words"),
    [
        (0, "cat", "confirmed", "cat", "Confirmed: cat, by Ada"),
        (0, "dog", "corrected", "dog", "Corrected: dog, by Ada"),
        (0, "reject", "rejected", None, "Rejected by Ada"),
        (1, "cat", "corrected", "cat", "Corrected: cat, by Ada"),  # no proposal
        (0, "neither", "corrected", "neither", "Corrected: neither a cat nor a dog, by Ada"),
        (1, "neither", "corrected", "neither", "Corrected: neither a cat nor a dog, by Ada"),
    ],
)
def test_one_click_records_the_decision_and_swaps_the_card(
    review_app, reviewer, photos, photo, decision, state, label, words
):
    photo_id = photos[photo]
    answer = decide(reviewer, photo_id, decision)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in body
    assert f'id="photo-{photo_id}"' in body
    assert words in body and 'role="status"' in body
    assert "HX-Request" in answer.headers["Vary"]
    assert re.search(r'<span id="review-counts" hx-swap-oob="true">[^<]*1 waiting', body)
    assert f"Neither a cat nor a dog: {int(label == 'neither')}." in body
    assert stored(review_app, photo_id)[:3] == (state, label, "Ada")


def test_a_neither_answer_shows_and_confirms_neither(review_app, reviewer):
    """A 👍 on the model's "not a cat or a dog" proposes neither: Confirm records it, and the
    card offers the two classes instead of "Correct to"."""
    with review_app.app_context():
        photo_id = keep_photo("cat", 1)
        db.session.get(TrainingPhoto, photo_id).prediction.neither = True
        db.session.commit()
    body = reviewer.get("/review").get_data(as_text=True)
    assert "neither a cat nor a dog · nearer: cat · 90.0%" in body
    assert re.search(r"Proposed label</dt>\s*<dd>neither a cat nor a dog</dd>", body)
    assert 'value="neither" data-key="c"' in body and 'data-key="n"' not in body
    assert 'data-key="a"' in body and 'data-key="d"' in body and 'data-key="x"' not in body
    answer = decide(reviewer, photo_id, "neither")
    assert "Confirmed: neither a cat nor a dog, by Ada" in answer.get_data(as_text=True)
    assert stored(review_app, photo_id)[:3] == ("confirmed", "neither", "Ada")


def test_the_page_speaks_french_for_neither(review_app, reviewer, photos):
    decide(reviewer, photos[1], "neither")
    body = reviewer.get("/review", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Ni l’un ni l’autre" in body
    assert "Corrigée\u00a0: ni un chat ni un chien, par Ada" in body
    assert "Ni chat ni chien\u00a0: 1." in body


def test_without_htmx_a_decision_goes_back_to_the_page(review_app, reviewer, photos):
    answer = decide(reviewer, photos[0], "cat", headers=PLAIN)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/review?order=value")
    body = reviewer.get("/review").get_data(as_text=True)
    assert "2 kept, 1 reviewed, 0 rejected, 1 waiting. Neither a cat nor a dog: 0." in body


WHY = {
    "en": ("unsure 55%", "challenger said cat", "user said wrong", "maybe neither"),
    "fr": ("peu sûr 55\u00a0%", "le challenger a dit chat", "l’utilisateur a dit faux",
           "peut-être ni chat ni chien"),
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_queue_puts_the_most_useful_photo_first_and_says_why(
    review_app, reviewer, photos, language
):
    with review_app.app_context():
        useful = keep("dog", 0.55, vote=0, shadow="cat", neither=True)
    body = reviewer.get("/review", headers={"Accept-Language": language}).get_data(as_text=True)
    cards = re.findall(r'<article class="card review-card[^"]*" id="photo-(\d+)"', body)
    assert [int(card) for card in cards] == [useful, *photos]  # the sure ones: oldest first
    first = body[body.index(f'id="photo-{useful}"') : body.index(f'id="photo-{photos[0]}"')]
    chips = [re.sub(r"[ \n]+", " ", chip).strip() for chip in re.findall(r"<li>(.*?)</li>", first)]
    assert chips == list(WHY[language])
    assert "<li>" not in body[body.index(f'id="photo-{photos[0]}"') :]  # sure: nothing to say
    current = {"en": "most useful first", "fr": "les plus utiles d’abord"}[language]
    assert f'aria-current="page">{current}</a>' in body


def test_the_oldest_first_order_survives_decisions_and_pages(review_app, reviewer, photos):
    with review_app.app_context():
        useful = keep("cat", 0.5, vote=0)
        more = [keep_photo("cat", 1) for _ in range(20)]
    body = reviewer.get("/review?order=oldest").get_data(as_text=True)
    cards = re.findall(r'<article class="card review-card[^"]*" id="photo-(\d+)"', body)
    assert [int(card) for card in cards] == [*photos, useful, *more[:17]]
    assert 'aria-current="page">oldest first</a>' in body
    assert 'href="/review?page=2&amp;order=oldest">Next page</a>' in body
    assert 'name="order" value="oldest"' in body  # each card's form sends it back
    second = reviewer.get("/review?page=2&order=oldest").get_data(as_text=True)
    assert re.findall(r'id="photo-(\d+)"', second)[0] == str(more[17])
    assert 'href="/review?page=1&amp;order=oldest">Previous page</a>' in second
    form = {"decision": "cat", "csrf_token": csrf_token(reviewer), "order": "oldest"}
    with review_app.app_context():
        form["request_id"] = db.session.get(TrainingPhoto, useful).prediction.request_id
    answer = reviewer.post(f"/review/photos/{useful}", data=form, headers=PLAIN)
    assert answer.headers["Location"].endswith("/review?order=oldest")
    with review_app.app_context():
        form["request_id"] = db.session.get(TrainingPhoto, more[0]).prediction.request_id
    swapped = reviewer.post(f"/review/photos/{more[0]}", data=form, headers=HX)
    assert "Confirmed: cat, by Ada" in swapped.get_data(as_text=True)
    assert 'name="order" value="oldest"' in swapped.get_data(as_text=True)  # the next decision too
    value_first = reviewer.get("/review").get_data(as_text=True)
    # Two cats reviewed, no dog: the one dog waiting comes first.
    assert re.findall(r'id="photo-(\d+)"', value_first)[0] == str(photos[1])
    assert "few dog labels yet" in value_first


@pytest.mark.parametrize("order", ["newest", "VALUE", "oldest%00"])
def test_an_unknown_order_is_a_readable_400(reviewer, photos, order):
    answer = reviewer.get(f"/review?order={order}")
    assert answer.status_code == 400
    assert "sorted by value or oldest first" in answer.get_data(as_text=True)


@pytest.mark.parametrize("headers", [HX, PLAIN])
def test_a_decision_without_the_login_is_refused_and_changes_nothing(review_app, photos, headers):
    client = review_app.test_client()
    answer = decide(client, photos[0], "cat", headers=headers)
    assert answer.status_code == 401
    assert "Log in as a reviewer first." in answer.get_data(as_text=True)
    if headers == HX:  # htmx goes back to the login form
        assert answer.headers["HX-Redirect"] == "/review"
    assert stored(review_app, photos[0]) == UNTOUCHED


def test_the_api_token_is_not_a_reviewer_login(review_app, photos):
    from tests.helpers import AUTH

    client = review_app.test_client()
    answer = decide(client, photos[0], "cat", headers={**HX, **AUTH})
    assert answer.status_code == 401 and stored(review_app, photos[0]) == UNTOUCHED


def test_a_wrong_password_says_so_and_logs_nobody_in(review_app, photos):
    client = review_app.test_client()
    answer = login(client, password="guess")
    assert answer.status_code == 401
    body = answer.get_data(as_text=True)
    assert "Wrong password." in body and 'value="Ada"' in body and "guess" not in body
    assert decide(client, photos[0], "cat").status_code == 401
    assert stored(review_app, photos[0]) == UNTOUCHED


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_reviewer_needs_a_name(review_app, name):
    answer = login(review_app.test_client(), name=name)
    assert answer.status_code == 400
    assert "Give your name, up to 64 characters." in answer.get_data(as_text=True)


def test_logging_out_ends_the_review(review_app, reviewer, photos):
    answer = reviewer.post("/review/logout", data={"csrf_token": csrf_token(reviewer)})
    assert answer.status_code == 303
    assert decide(reviewer, photos[0], "cat").status_code == 401
    assert stored(review_app, photos[0]) == UNTOUCHED


def test_a_new_password_logs_every_reviewer_out(review_app, reviewer, photos):
    review_app.config["REVIEWER_PASSWORD"] = "a brand new one"
    assert decide(reviewer, photos[0], "cat").status_code == 401
    assert stored(review_app, photos[0]) == UNTOUCHED


@pytest.mark.parametrize(
    ("photo_id", "decision", "status", "words"),
    [
        (999, "cat", 404, "This photo is no longer kept."),
        (2**40, "cat", 404, "This photo is no longer kept."),
        (None, "maybe", 400, "Choose Confirm, Correct, Neither or Reject."),
        (None, "", 400, "Choose Confirm, Correct, Neither or Reject."),
        (None, "NEITHER", 400, "Choose Confirm, Correct, Neither or Reject."),
    ],
)
def test_bad_decisions_get_a_readable_4xx(
    review_app, reviewer, photos, photo_id, decision, status, words
):
    answer = decide(reviewer, photo_id or photos[0], decision)
    assert answer.status_code == status and words in answer.get_data(as_text=True)
    assert stored(review_app, photos[0]) == UNTOUCHED


def test_neither_from_a_card_of_another_prediction_is_refused(review_app, reviewer, photos):
    answer = decide(reviewer, photos[0], "neither", row="a-prediction-shown-before")
    assert answer.status_code == 409 and stored(review_app, photos[0]) == UNTOUCHED


def test_a_decision_without_its_csrf_token_changes_nothing(review_app, reviewer, photos):
    answer = decide(reviewer, photos[0], "cat", token="forged")
    assert answer.status_code == 400 and "This form has expired" in answer.get_data(as_text=True)
    assert stored(review_app, photos[0]) == UNTOUCHED


def test_without_a_password_review_is_disabled(app):
    with app.app_context():
        photo_id = keep_photo("cat", 1)
    client = app.test_client()
    page = client.get("/review")
    assert page.status_code == 200
    assert "Review is disabled" in page.get_data(as_text=True)
    assert 'name="password"' not in page.get_data(as_text=True)
    assert login(client, password="").status_code == 403
    assert login(client, password="anything").status_code == 403
    assert decide(client, photo_id, "cat").status_code == 403
    assert client.get(f"/review/photos/{photo_id}.jpg").status_code == 403
    assert stored(app, photo_id) == UNTOUCHED


def test_login_attempts_are_rate_limited(review_app):
    client = review_app.test_client()
    answers = [login(client, password="guess").status_code for _ in range(11)]
    assert answers == [401] * 10 + [429]
    assert review_app.test_client().get("/review").status_code == 200  # the page is not limited


@pytest.mark.parametrize("page", ["0", "-1", "abc", "9" * 5000, "٢"])
def test_any_page_number_shows_a_page(reviewer, photos, page):
    assert reviewer.get(f"/review?page={page}").status_code == 200


def test_the_monitoring_page_and_metrics_count_the_photos(review_app, reviewer, photos):
    decide(reviewer, photos[0], "cat")
    client = review_app.test_client()
    body = client.get("/monitoring").get_data(as_text=True)
    assert re.search(
        r"Training photos</dt>\s*<dd[^>]*>2 kept, 1 reviewed, 0 rejected, 1 waiting ·", body
    )
    counts = metric_samples(client, "cv_training_photos")
    assert counts == {
        (("state", "kept"),): 2,
        (("state", "reviewed"),): 1,
        (("state", "rejected"),): 0,
        (("state", "waiting"),): 1,
        (("state", "neither"),): 0,
    }


def test_a_database_failure_is_a_readable_503(review_app, reviewer, photos):
    from sqlalchemy import text

    with review_app.app_context():
        shown = db.session.get(TrainingPhoto, photos[0]).prediction.request_id
        db.session.execute(text("DROP TABLE training_photos"))
        db.session.commit()
    for answer in (reviewer.get("/review"), decide(reviewer, photos[0], "cat", row=shown)):
        body = answer.get_data(as_text=True)
        assert answer.status_code == 503, body
        assert "The database does not answer; try again in a moment." in body
        assert "training_photos" not in body
