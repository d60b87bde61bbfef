"""The monitoring page and the chart figures behind it."""

import datetime

from sqlalchemy.exc import OperationalError

from catsdogs import statistics
from catsdogs.extensions import db
from catsdogs.models import Prediction

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


def test_the_page_shows_the_figures_and_polls(client, app):
    app.config["GRAFANA_URL"] = "https://grafana.example.org/d/catsdogs"
    with app.app_context():
        add("cat", 0.9, feedback=1)
        add("dog", 0.3)
    body = client.get("/monitoring").get_data(as_text=True)
    assert 'id="kpi-total">2<' in body and "1 / 1" in body
    assert 'hx-trigger="every 10s"' in body and 'hx-get="/monitoring"' in body
    assert 'href="https://grafana.example.org/d/catsdogs"' in body
    assert f'href="{app.config["PROMETHEUS_URL"]}"' in body
    assert "data-charts='{" in body and 'id="chart-predictions"' in body
    assert "Connected" in body


def test_the_page_says_when_the_database_does_not_answer(client, monkeypatch):
    def down():
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(statistics, "summary", down)
    response = client.get("/monitoring", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unreachable" in body and "The database does not answer" in body
    assert "connection refused" not in body
