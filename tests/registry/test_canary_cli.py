"""`flask models canary` against a real MLflow server, and replicas following a guard's trip."""

import json

import pytest

from catsdogs import serving
from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry import canary, lineage
from catsdogs.registry.lifecycle import CHALLENGER
from tests.registry import model_versions
from tests.registry.test_cli import make_cli, posts  # noqa: F401 (a fixture)
from tests.helpers import photos_of_known_class


@pytest.fixture
def cli(make_cli, registry, monkeypatch):  # noqa: F811
    monkeypatch.setenv("USER", "ops-user")
    return make_cli(registry)


def two_versions(registry):
    for _ in range(2):
        registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    registry.set_alias("champion", "1")


def test_canary_makes_the_version_challenger_and_records_its_share(cli, registry, discord):
    two_versions(registry)
    result = cli("canary", "2", "--percent", "10", "--by", "alice", "--reason", "INT8 try")
    assert result.exit_code == 0, result.output
    assert "canary: canary -> version 2 (was none) by alice: 10% of clients: INT8 try" in (
        result.output
    )
    assert registry.by_alias(CHALLENGER).registry_version == "2"
    setting = canary.current(registry)
    assert (setting.version, setting.percent, setting.by, setting.reason) == (
        "2", 10.0, "alice", "INT8 try"
    )  # fmt: skip
    last = json.loads(registry.model_tags()["last_change"])
    assert last["action"] == "canary" and last["by"] == "alice"
    assert registry.get("2").tags["canary.by"] == "alice"
    [embed] = posts(discord, 1)
    assert embed["title"] == "Canary started"
    assert "version 2" in embed["description"] and "10% of clients" in embed["description"]


def test_canary_off_sets_zero_and_keeps_the_challenger(cli, registry, discord):
    two_versions(registry)
    assert cli("canary", "--off").output == "Nothing to do: no canary is set.\n"
    assert cli("canary", "2", "--percent", "5").exit_code == 0
    result = cli("canary", "--off", "--reason", "enough")
    assert result.exit_code == 0, result.output
    assert "canary -> no version (was 2) by ops-user: enough" in result.output
    assert canary.current(registry).percent == 0
    assert registry.by_alias(CHALLENGER).registry_version == "2"  # it keeps shadowing
    assert [embed["title"] for embed in posts(discord, 2)] == ["Canary started", "Canary stopped"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["2"], "give a VERSION and --percent, or --off"),
        (["--percent", "10"], "give a VERSION and --percent, or --off"),
        (["2", "--percent", "10", "--off"], "give a VERSION and --percent, or --off"),
        (["2", "--percent", "0"], "0<x<=100"),
        (["2", "--percent", "150"], "0<x<=100"),
        (["2", "--percent", "ten"], "'ten' is not a valid float"),
        (["2", "--percent", "10", "--force"], "--force needs --reason"),
    ],
)
def test_canary_refuses_what_cannot_work_with_a_usage_error(cli, registry, arguments, message):
    result = cli("canary", *arguments)
    assert result.exit_code == 2 and message in result.output, result.output


def test_the_champion_cannot_be_its_own_canary(cli, registry):
    two_versions(registry)
    result = cli("canary", "1", "--percent", "10")
    assert result.exit_code == 1
    assert "version 1 is the champion: a challenger must be another one" in result.output
    assert canary.current(registry) is None


def test_the_service_s_trip_never_overwrites_a_newer_setting(registry):
    two_versions(registry)
    canary.start(registry, "2", 10, "alice", "first")
    tripped = canary.current(registry)
    canary.start(registry, "2", 20, "bob", "again, after a fix")  # a person moved on meanwhile
    assert not canary.trip(registry, tripped, "disagreement")
    assert canary.current(registry).percent == 20


def test_replicas_follow_the_first_one_to_trip_at_their_next_poll(make_app, registry, tmp_path):
    checks = photos_of_known_class(tmp_path / "checks")
    for name in ("one", "two"):
        model_versions.register(registry, model_versions.shipped(tmp_path / name), checks)
    registry.set_alias("champion", "1")
    canary.start(registry, "2", 10, "alice", "two replicas")
    settings = {"MLFLOW_TRACKING_URI": registry.tracking_uri, "MLFLOW_MODEL_NAME": registry.name}
    first, second = (serving.parts(make_app(**settings)) for _ in range(2))
    for replica in (first, second):
        replica.models.check()
        assert replica.models.canary.active(replica.models.challenger)
    figures = first.canary_guard.figures
    for _ in range(figures.limits.min_answers):
        figures.answered("champion", 0.01, False)
        figures.answered("canary", 0.01, False)
        figures.compare(disagree=True)
    first.canary_guard.run_once()
    assert not first.models.canary.active(first.models.challenger)  # at once, before any poll
    setting = canary.current(registry)
    assert setting.percent == 0 and setting.by == "catsdogs service"
    assert second.models.canary.active(second.models.challenger)  # until its next poll
    second.models.check()
    assert not second.models.canary.active(second.models.challenger)
    assert second.models.describe()["canary"]["reason"].startswith("disagreement: ")
    assert registry.by_alias(CHALLENGER).registry_version == "2"


def test_a_version_trained_on_erased_photos_needs_force_and_a_reason(cli, registry):
    two_versions(registry)
    mark = lineage.Mark(1, "2026-12-07T13:00:00+00:00")
    registry.set_tag("2", lineage.MARK_TAG, mark.tag_value())
    refused = cli("canary", "2", "--percent", "10")
    assert refused.exit_code == 1
    assert "version 2 was trained on 1 erased photo(s)" in refused.output
    assert canary.current(registry) is None and registry.by_alias(CHALLENGER) is None
    forced = cli("canary", "2", "--percent", "10", "--force", "--reason", "legal said fine")
    assert forced.exit_code == 0, forced.output
    assert "forced past: version 2 was trained on 1 erased photo(s)" in forced.output
    assert canary.current(registry).percent == 10
