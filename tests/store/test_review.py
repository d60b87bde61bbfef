"""The label review service: proposed labels, decisions, the queue and the counts."""

import datetime

import pytest

from catsdogs.extensions import db
from catsdogs.store import review
from catsdogs.errors import ServiceError
from catsdogs.store.tables import TrainingPhoto
from tests.store.feedback_photos import keep_photo, row

YES, NO = 1, 0


def keep_neither_answer(vote):
    """A kept photo whose model answered "not a cat or a dog" (its nearer class: cat)."""
    photo_id = keep_photo("cat", vote)
    db.session.get(TrainingPhoto, photo_id).prediction.neither = True
    db.session.commit()
    return photo_id


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("predicted", "vote", "proposed"),
    [("cat", YES, "cat"), ("cat", NO, "dog"), ("dog", YES, "dog"), ("dog", NO, "cat"),
     ("dog", None, None)],
)  # fmt: skip
def test_the_vote_proposes_a_label(ctx, predicted, vote, proposed):
    photo_id = keep_photo(predicted, vote)
    assert review.get(photo_id).proposed_label == proposed


@pytest.mark.parametrize(("vote", "proposed"), [(YES, "neither"), (NO, None), (None, None)])
def test_a_vote_on_a_neither_answer_proposes_neither_or_nothing(ctx, vote, proposed):
    # 👎 on "not a cat or a dog" says it is a pet, not which: the reviewer chooses.
    assert review.get(keep_neither_answer(vote)).proposed_label == proposed


@pytest.mark.parametrize(
    ("neither_answer", "vote", "expected"),
    [
        (True, YES, "confirmed"),  # 👍 on the model's own "not a cat or a dog"
        (True, None, "corrected"),  # the model said so, but nobody proposed it
        (False, YES, "corrected"),  # 👍 on "cat": cat was proposed
        (False, NO, "corrected"),
    ],
)
def test_neither_is_a_label_confirmed_only_when_proposed(ctx, neither_answer, vote, expected):
    photo_id = keep_neither_answer(vote) if neither_answer else keep_photo("cat", vote)
    review.review(photo_id, "neither", "ada")
    assert row(photo_id)[:3] == (expected, "neither", "ada")
    review.review(photo_id, "reject", "grace")  # the latest decision wins
    assert row(photo_id)[:3] == ("rejected", None, "grace")


@pytest.mark.parametrize(
    ("vote", "decision", "expected"),
    [
        (YES, "cat", ("confirmed", "cat")),  # 👍 on "cat": cat proposed
        (YES, "dog", ("corrected", "dog")),
        (NO, "dog", ("confirmed", "dog")),  # 👎 on "cat": dog proposed
        (NO, "cat", ("corrected", "cat")),
        (None, "cat", ("corrected", "cat")),  # no proposal: the reviewer's label is a correction
        (YES, "reject", ("rejected", None)),
    ],
)
def test_a_decision_is_recorded_with_its_reviewer(ctx, vote, decision, expected):
    photo_id = keep_photo("cat", vote)
    before = datetime.datetime.now(datetime.UTC)
    review.review(photo_id, decision, "  Ada   Lovelace ")
    state, label, reviewer, when = row(photo_id)
    assert (state, label) == expected and reviewer == "Ada Lovelace"
    assert when.replace(tzinfo=when.tzinfo or datetime.UTC) >= before - datetime.timedelta(
        seconds=1
    )


def test_the_latest_decision_wins(ctx):
    photo_id = keep_photo("cat", YES)
    review.review(photo_id, "reject", "ada")
    review.review(photo_id, "cat", "grace")
    assert row(photo_id)[:3] == ("confirmed", "cat", "grace")
    review.review(photo_id, "reject", "ada")
    assert row(photo_id)[:3] == ("rejected", None, "ada")


@pytest.mark.parametrize(
    ("photo", "decision", "reviewer", "code"),
    [
        (None, "maybe", "ada", "invalid_request"),
        (None, "CAT", "ada", "invalid_request"),
        (None, "cat", "   ", "invalid_request"),
        (None, "cat", "x" * 65, "invalid_request"),
        (999, "cat", "ada", "not_found"),
        (2**40, "cat", "ada", "not_found"),  # beyond PostgreSQL's integer: not a database error
        (0, "cat", "ada", "not_found"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(ctx, photo, decision, reviewer, code):
    photo_id = keep_photo("cat", YES)
    with pytest.raises(ServiceError) as refused:
        review.review(photo_id if photo is None else photo, decision, reviewer)
    assert refused.value.code == code
    assert row(photo_id) == (None, None, None, None)


@pytest.mark.parametrize("order", ["oldest", "value"])  # equal photos: value ties, oldest first
def test_the_queue_puts_waiting_photos_first_oldest_first_and_pages(ctx, order):
    ids = [keep_photo("cat", YES) for _ in range(5)]
    review.review(ids[0], "cat", "ada")
    review.review(ids[2], "reject", "ada")
    first = review.queue(1, per_page=2, order=order)
    assert [p.id for p in first["photos"]] == [ids[1], ids[3]]
    assert (first["page"], first["pages"], first["total"]) == (1, 3, 5)
    assert [p.id for p in review.queue(2, per_page=2, order=order)["photos"]] == [ids[4], ids[0]]
    assert [p.id for p in review.queue(3, per_page=2, order=order)["photos"]] == [ids[2]]
    assert review.queue(99, per_page=2, order=order)["page"] == 3  # past the end: the last page
    assert first["photos"][0].prediction.prediction_result == "cat"


def test_counts(ctx):
    empty = {"kept": 0, "reviewed": 0, "rejected": 0, "waiting": 0, "neither": 0}
    assert review.counts() == empty
    ids = [keep_photo("dog", vote) for vote in (YES, NO, None, YES, YES, NO)]
    review.review(ids[0], "dog", "ada")  # confirmed
    review.review(ids[1], "dog", "ada")  # corrected
    review.review(ids[2], "reject", "ada")
    review.review(ids[4], "neither", "ada")  # corrected, and counted apart too
    review.review(ids[5], "neither", "ada")
    assert review.counts() == {"kept": 6, "reviewed": 4, "rejected": 1, "waiting": 1, "neither": 2}


def test_erasing_the_prediction_takes_the_photo_out_of_the_queue(ctx):
    from catsdogs.store import records

    photo_id = keep_photo("cat", YES)
    prediction_id = review.get(photo_id).prediction_id
    records.erase(prediction_id, allowed_ids={prediction_id})
    with pytest.raises(ServiceError):
        review.get(photo_id)
    assert review.counts()["kept"] == 0
