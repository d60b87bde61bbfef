"""The figures over stored predictions: summary, hourly timeline and confidence histogram."""

import datetime

import numpy as np
import pytest
from sqlalchemy import func, select

from catsdogs.monitoring import statistics
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction

NOW = datetime.datetime(2026, 5, 4, 12, 30, tzinfo=datetime.UTC)


def add(result="cat", proba_cat=0.9, hours_ago=0.0, feedback=None, ms=10.0):
    created = NOW - datetime.timedelta(hours=hours_ago)
    db.session.add(
        Prediction(
            created_at=created,
            inference_time_ms=ms,
            prediction_result=result,
            proba_cat=proba_cat,
            proba_dog=1 - proba_cat,
            model_version="1.0.0",
            rgpd_consent=feedback is not None,
            user_feedback=feedback,
            feedback_at=created if feedback is not None else None,
        )
    )
    db.session.commit()


def test_summary_counts_classes_consent_votes_and_inference_time(app):
    with app.app_context():
        add("cat", 0.9, feedback=1, ms=10)
        add("dog", 0.2, feedback=0, ms=30)
        add("dog", 0.1, ms=20)
        add("error", 0.5, ms=40)
        figures = statistics.summary()
    assert figures["total_predictions"] == 4
    assert figures["predictions_by_class"] == {"cat": 1, "dog": 2, "neither": 0, "error": 1}
    assert figures["consents"] == 2 and figures["consent_rate"] == 0.5
    assert figures["feedback"] == {"positive": 1, "negative": 1, "total": 2}
    assert figures["satisfaction_rate"] == 0.5
    assert figures["inference_time_ms"] == {"mean": 25.0, "p95": 38.5}


def test_p95_of_two_predictions_lies_between_them_above_the_mean(app):
    with app.app_context():
        add(ms=10)
        add(ms=30)
        figures = statistics.summary()["inference_time_ms"]
    assert figures == {"mean": 20.0, "p95": 29.0}


@pytest.mark.parametrize(
    "sample",
    [[7.5], [3.0, 3.0], [1.0, 2.0, 4.0], [40.0, 10.0, 30.0, 20.0, 50.0], list(range(1, 22))],
)
def test_p95_is_numpy_s_percentile_and_postgresql_s_percentile_cont(app, sample):
    with app.app_context():
        for ms in sample:
            add(ms=ms)
        p95 = statistics.summary()["inference_time_ms"]["p95"]
        if db.engine.dialect.name == "postgresql":
            in_sql = db.session.scalar(
                select(func.percentile_cont(0.95).within_group(Prediction.inference_time_ms))
            )
            assert p95 == pytest.approx(in_sql, abs=1e-3)
    assert p95 == pytest.approx(np.percentile(sample, 95), abs=1e-3)


def test_summary_of_an_empty_database_has_no_rates(app):
    with app.app_context():
        figures = statistics.summary()
    assert figures["total_predictions"] == 0 and figures["consents"] == 0
    assert figures["consent_rate"] is None and figures["satisfaction_rate"] is None
    assert figures["inference_time_ms"] == {"mean": None, "p95": None}


def test_timeline_counts_per_hour(app):
    with app.app_context():
        add("cat", 0.9, hours_ago=0, feedback=1, ms=10)
        add("dog", 0.2, hours_ago=0.2, feedback=0, ms=30)
        add("dog", 0.1, hours_ago=3)
        add("cat", 0.8, hours_ago=30)  # outside the 24 hours
        figures = statistics.timeline(NOW)
    assert len(figures["labels"]) == 24 and figures["labels"][-1] == "12:00"
    assert figures["cat"][-1] == 1 and figures["dog"][-1] == 1 and figures["dog"][-4] == 1
    assert sum(figures["cat"]) == 1
    assert figures["mean_inference_ms"][-1] == 20.0 and figures["mean_inference_ms"][0] is None
    assert figures["positive"][-1] == 1 and figures["negative"][-1] == 1


def test_confidence_histogram_bins(app):
    with app.app_context():
        for proba_cat in (0.5, 0.52, 0.97, 0.03, 1.0):
            add("cat" if proba_cat >= 0.5 else "dog", proba_cat)
        histogram = statistics.confidence_histogram()
    assert histogram["bins"][0] == "0.50-0.55" and histogram["bins"][-1] == "0.95-1.00"
    assert histogram["counts"][0] == 2 and histogram["counts"][-1] == 3
    assert sum(histogram["counts"]) == 5
