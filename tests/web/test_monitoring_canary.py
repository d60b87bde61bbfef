"""The monitoring page shows the canary: its share, its guards' window, and why it was stopped."""

from catsdogs import serving
from catsdogs.registry.canary import CanarySetting
from catsdogs.serving.canary_guard import CanaryGuard
from catsdogs.serving.served_models import Served

NBSP = "\u00a0"


def with_canary(app, classifier) -> serving.ServingParts:
    parts = serving.parts(app)
    parts.models.challenger = Served(classifier, "7")
    setting = CanarySetting("7", 10, "alice", "INT8 practice", "2026-12-07")
    parts.models.canary.follow(setting, parts.models.challenger)
    return parts


def test_without_a_canary_the_page_says_off(client):
    page = client.get("/monitoring").get_data(as_text=True)
    assert '<dd id="canary">off' in page


def test_a_running_canary_shows_its_share_who_set_it_and_its_window(client, app, classifier):
    parts = with_canary(app, classifier)
    for _ in range(3):
        parts.canary_guard.figures.answered("canary", 0.012, False)
    parts.canary_guard.figures.compare(disagree=False)
    page = client.get("/monitoring").get_data(as_text=True)
    assert "registry version 7 · 10.00% of clients · set by alice: INT8 practice" in page
    assert "The canary's guards, over the last 120 s" in page
    assert "<td>Canary</td><td>3</td><td>0</td><td>0</td><td>12.0" in page
    assert "The champion disagrees with the canary on 0 of 1 photos." in page


def test_a_tripped_canary_says_why_in_english_and_french(app, classifier):
    parts = with_canary(app, classifier)
    events = []
    figures = parts.canary_guard.figures
    guard = CanaryGuard(parts.models, figures, 1, lambda kind, details: events.append(kind))
    for _ in range(figures.limits.min_answers):
        figures.answered("champion", 0.01, False)
        figures.answered("canary", 0.01, False)
        figures.compare(disagree=True)
    guard.run_once()
    assert events == ["canary_tripped"]
    english = app.test_client().get("/monitoring").get_data(as_text=True)
    assert "10.00% of clients" not in english and "0.00% of clients" in english
    assert "Taken back to 0% by its guards (set at 10.00%): disagreement: the champion " in english
    assert "It stays the challenger: a person decides what next." in english
    french = app.test_client().get("/monitoring", headers={"Accept-Language": "fr"})
    text = french.get_data(as_text=True)
    assert f"Ramené à 0{NBSP}% par ses garde-fous (réglé à 10,00{NBSP}%){NBSP}: " in text
