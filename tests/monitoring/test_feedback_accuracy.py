"""Accuracy as users report it, per model version, with its Wilson 95% interval."""

import datetime

import pytest

from catsdogs.monitoring import feedback_accuracy
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction, utc_now


@pytest.mark.parametrize(
    ("right", "votes", "lower", "upper"),
    [
        (50, 100, 0.4038, 0.5962),
        (0, 1, 0.0, 0.7935),
        (10, 10, 0.7225, 1.0),
        (0, 0, 0.0, 1.0),  # no votes: nothing is known
    ],
)
def test_wilson_interval(right, votes, lower, upper):
    low, high = feedback_accuracy.wilson(right, votes)
    assert (round(low, 4), round(high, 4)) == (lower, upper)


def vote(version: str, right: bool, days_ago: float = 0) -> None:
    db.session.add(
        Prediction(
            inference_time_ms=5.0,
            prediction_result="cat",
            proba_cat=0.9,
            proba_dog=0.1,
            model_version=version,
            rgpd_consent=True,
            user_feedback=int(right),
            feedback_at=utc_now() - datetime.timedelta(days=days_ago),
        )
    )
    db.session.commit()


def test_votes_are_counted_per_model_version_within_the_period(app):
    with app.app_context():
        for right in (True, True, True, False):
            vote("1.0.0", right)
        vote("2.0.0", False)
        vote("2.0.0", True, days_ago=30)  # older than the period: left out
        figures = feedback_accuracy.by_version(days=7)
    assert figures["1.0.0"]["votes"] == 4 and figures["1.0.0"]["accuracy"] == 0.75
    assert figures["1.0.0"]["lower"] < 0.75 < figures["1.0.0"]["upper"]
    assert figures["2.0.0"] == {
        "votes": 1,
        "right": 0,
        "accuracy": 0.0,
        "lower": 0.0,
        "upper": pytest.approx(0.7935, abs=1e-4),
    }
