"""Routing a share of clients to the canary, and the guard that takes it back."""

import hashlib
import os
import subprocess
import sys

import pytest

from catsdogs import create_app
from catsdogs.monitoring.canary_guards import CanaryFigures, Limits
from catsdogs.registry.canary import CanarySetting
from catsdogs.serving.canary import BUCKETS, Canary, bucket, routed
from catsdogs.serving.canary_guard import CanaryGuard
from catsdogs.serving.served_models import Served, Serving
from tests.helpers import database_url_for, settings_for

CLIENTS = [f"token:client-{n}" for n in range(20_000)]


def test_a_client_always_lands_in_the_same_bucket():
    # sha256, not Python's salted hash(): the same in every process and every replica, and an
    # operator can tell where a client lands (docs/registry.md).
    digest = hashlib.sha256(b"token:test").digest()
    assert bucket("token:test") == int.from_bytes(digest[:8], "big") % 10_000 == 8895
    assert bucket("address:127.0.0.1") == 9960
    code = "from catsdogs.serving.canary import bucket; print(bucket('token:test'))"
    child = subprocess.run(  # a process with another hash seed
        [sys.executable, "-c", code],
        capture_output=True, text=True, check=True, env=os.environ | {"PYTHONHASHSEED": "7"},
    )  # fmt: skip
    assert child.stdout.strip() == "8895"


@pytest.mark.parametrize("percent", [1, 10, 50])
def test_the_share_of_clients_routed_is_the_percent(percent):
    share = sum(routed(client, percent) for client in CLIENTS) / len(CLIENTS)
    assert share == pytest.approx(percent / 100, abs=0.01)


def test_raising_the_percent_keeps_the_clients_already_routed():
    at_5 = {client for client in CLIENTS if routed(client, 5)}
    at_20 = {client for client in CLIENTS if routed(client, 20)}
    assert at_5 < at_20


def test_no_client_at_zero_every_client_at_a_hundred_and_an_unknown_client_never():
    assert not any(routed(client, 0) for client in CLIENTS)
    assert all(routed(client, 100) for client in CLIENTS)
    assert not routed("", 100)  # a request the app cannot tell apart stays on the champion
    assert BUCKETS == 10_000


def setting(percent=10.0, at="2026-12-07T13:00:00+00:00") -> CanarySetting:
    return CanarySetting("2", percent, "alice", "try it", at)


class Loaded:
    def __init__(self, registry_version):
        self.registry_version = registry_version


def test_a_tripped_canary_stays_stopped_until_someone_sets_a_new_one():
    canary, loaded = Canary(), Loaded("2")
    assert canary.follow(setting(), loaded) and canary.percent == 10 and canary.active(loaded)
    stopped = canary.trip("disagreement: 30 of 30")
    assert stopped == setting() and canary.percent == 0 and canary.owed == setting()
    assert not canary.follow(setting(), loaded)  # the registry still says 10%: not written yet
    assert canary.percent == 0 and not canary.active(loaded)
    assert canary.trip("again") is None  # already stopped
    service_wrote = CanarySetting("2", 0, "catsdogs service", "disagreement", "later")
    canary.follow(service_wrote, loaded)
    assert canary.percent == 0 and canary.describe()["tripped"] == "disagreement: 30 of 30"
    assert canary.follow(setting(20, at="2026-12-07T14:00:00+00:00"), loaded)
    assert canary.percent == 20 and canary.describe()["tripped"] is None


def test_a_canary_whose_version_is_not_loaded_answers_no_one():
    canary = Canary()
    assert not canary.follow(setting(), Loaded("3"))  # the alias moved on, or 2 was refused
    assert canary.setting is None and not canary.routes("token:anyone", Loaded("3"))
    assert not canary.follow(setting(), None)
    canary.follow(setting(100), Loaded("2"))
    assert canary.routes("token:anyone", Loaded("2"))
    assert not canary.routes("token:anyone", Loaded("3"))  # swapped since the last poll


def test_the_tag_round_trips_and_a_foreign_tag_is_no_canary():
    assert CanarySetting.from_tag(setting().to_tag()) == setting()
    for text in (None, "", "not json", '{"version": "2"}', '{"version":"2","percent":150,'
                 '"by":"x","at":"y"}'):  # fmt: skip
        assert CanarySetting.from_tag(text) is None


class Recorder:
    def __init__(self):
        self.events = []

    def __call__(self, kind, details):
        self.events.append((kind, details))


def serving_with_canary(classifier, percent=10.0) -> Serving:
    models = Serving(classifier)
    models.challenger = Served(classifier, "2")
    models.canary.follow(setting(percent), models.challenger)
    return models


def test_the_canarys_clients_meet_the_challenger_the_others_the_champion(classifier):
    models = serving_with_canary(classifier)
    inside = next(client for client in CLIENTS if routed(client, 10))
    outside = next(client for client in CLIENTS if not routed(client, 10))
    assert models.canary.routes(inside, models.challenger)
    assert not models.canary.routes(outside, models.challenger)


def test_the_guard_stops_routing_at_once_even_without_a_registry(classifier):
    models, events = serving_with_canary(classifier), Recorder()
    seen = CanaryFigures(Limits(min_answers=5))
    guard = CanaryGuard(models, seen, interval=1, on_event=events)
    for _ in range(5):
        seen.answered("champion", 0.01, False)
        seen.answered("canary", 0.01, False)
        guard.run_once()
        assert models.canary.active(models.challenger) and events.events == []
    for _ in range(5):
        seen.compare(disagree=True)
    guard.run_once()
    assert not models.canary.active(models.challenger)
    [(kind, details)] = events.events
    assert kind == "canary_tripped" and details["guards"] == ["disagreement"]
    assert details["percent"] == 0 and details["set_percent"] == 10
    assert "disagrees on 5 of 5 photos" in details["tripped"]
    assert models.canary.owed is not None  # no registry: the record stays owed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CANARY_MAX_DISAGREEMENT", 1.5),
        ("CANARY_MAX_ERROR_RATE", -0.1),
        ("CANARY_MAX_LATENCY_RATIO", 0.5),
        ("CANARY_MIN_ANSWERS", 0),
        ("CANARY_WINDOW_SECONDS", 0),
        ("CANARY_CHECK_SECONDS", -1),
    ],
)
def test_a_canary_setting_that_cannot_work_stops_the_app_naming_it(tmp_path, name, value):
    settings = settings_for(tmp_path, database_url_for("sqlite", tmp_path), **{name: value})
    with pytest.raises(ValueError, match=f"^{name} must"):
        create_app(settings)
