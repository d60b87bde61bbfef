"""The review queue's order: the photos whose label would teach most first, why, and the
oldest-first order kept; on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

import math

import pytest

from catsdogs.errors import ServiceError
from catsdogs.extensions import db
from catsdogs.store import review, review_value
from catsdogs.store.tables import TrainingPhoto
from tests.store.feedback_photos import keep_photo

THRESHOLD = 5000.0  # a detector's threshold for these tests


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def keep(predicted="cat", proba_dog=None, vote=None, shadow=None, neither=False, score=None):
    """A waiting photo whose prediction has these figures; its id."""
    photo_id = keep_photo(predicted, vote)
    prediction = db.session.get(TrainingPhoto, photo_id).prediction
    if proba_dog is not None:
        prediction.proba_dog, prediction.proba_cat = proba_dog, 1.0 - proba_dog
    if shadow is not None:
        prediction.shadow_model_version, prediction.shadow_result = "v-challenger", shadow
        prediction.shadow_proba_dog = 0.8 if shadow == "dog" else 0.2
    prediction.neither, prediction.neither_score = neither, score
    db.session.commit()
    return photo_id


def ids(order="value", per_page=20, page=1, threshold=THRESHOLD):
    queue = review.queue(page, per_page=per_page, order=order, neither_above=threshold)
    return [photo.id for photo in queue["photos"]]


def test_the_value_order_puts_the_labels_that_teach_most_first(ctx):
    sure = keep("cat", 0.01)  # 0.02
    right = keep("cat", 0.01, vote=1)  # a 👍 teaches nothing new: 0.02
    unsure = keep("cat", 0.45)  # 0.9
    wrong = keep("cat", 0.05, vote=0)  # 1.1
    challenged = keep("cat", 0.2, shadow="dog")  # 1.4
    near_neither = keep("dog", 0.99, score=0.9 * THRESHOLD)  # 0.52
    neither = keep("dog", 0.9, neither=True, score=1.2 * THRESHOLD)  # 1.2
    everything = keep("dog", 0.55, vote=0, shadow="cat")  # 2.9
    expected = [everything, challenged, neither, wrong, unsure, near_neither, sure, right]
    assert ids() == expected
    # The database's sum is review_value.score() of the same figures.
    photos = [db.session.get(TrainingPhoto, i).prediction for i in expected]
    scores = [review_value.score(review.parts_of(p, {}, THRESHOLD)) for p in photos]
    assert scores == sorted(scores, reverse=True)
    assert [round(s, 2) for s in scores] == [2.9, 1.4, 1.2, 1.1, 0.9, 0.52, 0.02, 0.02]
    # Pages cut the same order, each photo once.
    assert ids(per_page=3) + ids(per_page=3, page=2) + ids(per_page=3, page=3) == expected
    # Without a detector's threshold, "near neither" counts nothing: oldest of the sure ones.
    assert ids(threshold=math.inf)[-3:] == [sure, right, near_neither]


def test_oldest_first_stays_available_and_reviewed_photos_come_last(ctx):
    first, second, third = keep("cat", 0.01), keep("cat", 0.5), keep("cat", 0.3, vote=0)
    assert ids("oldest") == [first, second, third]
    assert ids("value") == [third, second, first]
    review.review(third, "dog", "ada")
    assert ids("value") == [second, first, third]
    assert ids("oldest") == [first, second, third]


def test_the_rarer_class_among_reviewed_labels_comes_first(ctx):
    reviewed = [keep("cat", 0.1) for _ in range(3)]
    for photo_id in reviewed:
        review.review(photo_id, "cat", "ada")
    cat, dog = keep("cat", 0.1), keep("dog", 0.9)  # as sure of one as of the other
    assert ids()[:2] == [dog, cat]
    queue = review.queue(1, neither_above=THRESHOLD)
    assert queue["reasons"][dog] == [("balance", "dog")]
    assert queue["reasons"][cat] == []
    assert all(photo_id not in queue["reasons"] for photo_id in reviewed)  # decided: no why


def test_each_waiting_photo_says_why_it_is_there(ctx):
    everything = keep("dog", 0.55, vote=0, shadow="cat", neither=True)
    near = keep("cat", 0.02, score=0.85 * THRESHOLD)
    sure = keep("cat", 0.02)
    reasons = review.queue(1, neither_above=THRESHOLD)["reasons"]
    assert reasons[everything] == [
        ("unsure", pytest.approx(0.55)),
        ("challenger", "cat"),
        ("wrong", None),
        ("neither", None),
    ]
    assert reasons[near] == [("neither", None)]
    assert reasons[sure] == []


@pytest.mark.parametrize("order", ["newest", "", "VALUE"])
def test_an_unknown_order_is_refused(ctx, order):
    with pytest.raises(ServiceError) as refused:
        review.queue(1, order=order)
    assert refused.value.code == "invalid_request"
