"""`flask models ...` against a real MLflow server, with the Discord stub receiving the news."""

import copy
import json
import time

import pytest

from catsdogs import create_app
from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry.model_run import AlreadyRegistered, log_model
from tests import serve_helpers
from tests.helpers import (
    DATASET,
    close_app,
    database_url_for,
    photos_of_known_class,
    settings_for,
)

CARD_DATA = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())


@pytest.fixture
def make_cli(tmp_path, classifier, discord):
    """A runner of `flask ...` commands for an app whose registry is `registry` (or none)."""
    apps = []

    def build(registry=None, **overrides):
        settings = settings_for(
            tmp_path,
            database_url_for("sqlite", tmp_path),  # these commands never touch the database
            DISCORD_WEBHOOK_URL=discord.url,
            **(
                {"MLFLOW_TRACKING_URI": registry.tracking_uri, "MLFLOW_MODEL_NAME": registry.name}
                if registry
                else {}
            ),
            **overrides,
        )
        app = create_app(settings, classifier)
        apps.append(app)
        runner = app.test_cli_runner()
        return lambda *args: runner.invoke(args=["models", *args])

    yield build
    for app in apps:
        close_app(app)


@pytest.fixture
def cli(make_cli, registry, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("USER", "ops-user")
    return make_cli(registry)


def register_variant(registry, tmp_path, change) -> str:
    """Register the packaged model with a card that `change(card)` edited; its version."""
    card = copy.deepcopy(CARD_DATA)
    change(card)
    folder = tmp_path / f"variant-{time.monotonic_ns()}"
    folder.mkdir()
    (folder / "catsdogs.json").write_text(json.dumps(card))
    return registry.register(SHIPPED_MODEL, folder / "catsdogs.json").registry_version


def set_accuracy(card, value):
    card["evaluation"]["test"]["accuracy"] = value


def posts(discord, count):
    return [body["embeds"][0] for body in discord.wait_for(count, timeout=10)]


def test_register_packaged_then_list_shows_versions_aliases_and_figures(cli, registry, tmp_path):
    assert "No version of" in cli("list").output
    checks = photos_of_known_class(tmp_path / "checks")
    result = cli("register-packaged", "--checks", str(checks))
    assert result.exit_code == 0, result.output
    size = f"{SHIPPED_MODEL.stat().st_size / 1e6:.0f} MB"
    assert f"Uploading catsdogs.onnx ({size}) to {registry.tracking_uri}..." in result.output
    assert f"Registered {registry.name} version 1 (1.1.0+3ecc1288), ready" in result.output
    assert registry.get("1").tags["origin"] == "packaged"
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))  # a version 2
    assert cli("promote", "1").exit_code == 0
    lines = cli("list").output.splitlines()
    assert lines[0].split()[:4] == ["version", "aliases", "card", "test"]
    assert lines[1].split()[:5] == ["2", "-", "1.1.0+3ecc1288", "98.50%", "0.9992"]
    assert lines[2].split()[:5] == ["1", "champion", "1.1.0+3ecc1288", "98.50%", "0.9992"]


def test_registering_the_same_file_again_says_which_version_holds_it(cli, registry, tmp_path):
    checks = photos_of_known_class(tmp_path / "checks")
    assert cli("register-packaged", "--checks", str(checks)).exit_code == 0
    again = cli("register-packaged", "--checks", str(checks))
    assert again.exit_code == 0, again.output
    assert again.output == (
        f"catsdogs.onnx is already version 1 of {registry.name} (1.1.0+3ecc1288): "
        "nothing registered.\n"
    )
    assert [v.registry_version for v in registry.versions()] == ["1"]
    with pytest.raises(AlreadyRegistered, match="already version 1"):
        log_model(registry, SHIPPED_MODEL, "log")


def test_promote_records_who_when_why_and_tells_discord(cli, registry, discord):
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    result = cli("promote", "1", "--by", "alice", "--reason", "first model")
    assert result.exit_code == 0, result.output
    assert "champion -> version 1 (was none) by alice: first model" in result.output
    assert registry.by_alias("champion").registry_version == "1"
    tags = registry.get("1").tags
    assert tags["promote.by"] == "alice" and tags["promote.reason"] == "first model"
    assert abs(time.time() - _timestamp(tags["promote.at"])) < 300
    assert result.output.splitlines()[-1] == (
        "The service follows within MODEL_POLL_SECONDS (30 s), "
        "or at once with POST /api/model/reload."
    )
    last = json.loads(registry.model_tags()["last_change"])
    assert last["action"] == "promote" and last["by"] == "alice" and last["version"] == "1"
    [embed] = posts(discord, 1)
    assert embed["title"] == "New champion model"
    assert "version 1" in embed["description"] and "alice" in embed["description"]
    assert embed["fields"][0]["value"] == "info"


def test_promoting_the_champion_or_shadowing_the_challenger_again_changes_nothing(
    cli, registry, discord
):
    for _ in range(2):
        registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0 and cli("shadow", "2").exit_code == 0
    again = cli("promote", "1", "--by", "dave")
    assert again.exit_code == 0 and "the champion is already version 1" in again.output
    assert cli("shadow", "2").output.startswith("Nothing to do: the challenger is already")
    assert cli("rollback").exit_code == 1  # still nothing earlier: no history was invented
    assert "promote.by" in registry.get("1").tags and registry.get("1").tags["promote.by"] != "dave"
    time.sleep(0.5)
    assert len(posts(discord, 2)) == 2


def test_without_by_the_user_is_recorded(cli, registry):
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0
    assert registry.get("1").tags["promote.by"] == "ops-user"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: set_accuracy(c, 0.981), "0.40 points below champion version 1's 98.50%"),
        (lambda c: c["dataset"]["split"].update(seed=7), "another test split"),
        (lambda c: c["dataset"].update(sha256="0" * 64), "another test split"),
        (lambda c: c.update(classes=["dog", "cat"]), "classes must be cat, dog"),
        (lambda c: c.update(sha256="f" * 64), "sha256 is not its card's"),
        (lambda c: c["evaluation"].pop("test"), "has no test accuracy"),
    ],
    ids=["accuracy", "split-seed", "dataset", "invalid-card", "sha256", "no-figures"],
)
def test_promote_refuses_and_forcing_needs_a_reason(
    cli, registry, discord, tmp_path, change, problem
):
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0
    version = register_variant(registry, tmp_path, change)
    refused = cli("promote", version)
    assert refused.exit_code == 1
    assert problem in refused.output and '--force --reason "..."' in refused.output
    assert registry.by_alias("champion").registry_version == "1"
    assert cli("promote", version, "--force").exit_code == 2  # a usage error: no reason
    assert registry.by_alias("champion").registry_version == "1"
    assert len(posts(discord, 1)) == 1  # only the first promotion was announced

    forced = cli("promote", version, "--force", "--reason", "hotfix", "--by", "bob")
    assert forced.exit_code == 0, forced.output
    assert registry.by_alias("champion").registry_version == version
    tags = registry.get(version).tags
    assert problem in tags["promote.forced"] and tags["promote.reason"] == "hotfix"
    embed = posts(discord, 2)[1]
    assert embed["fields"][0]["value"] == "warning" and problem in embed["description"]


def test_a_version_within_three_tenths_of_a_point_is_promoted(cli, registry, tmp_path):
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0
    version = register_variant(registry, tmp_path, lambda c: set_accuracy(c, 0.982))
    result = cli("promote", version)
    assert result.exit_code == 0, result.output
    assert registry.by_alias("champion").registry_version == version


def test_rollback_walks_back_through_the_champions(cli, registry, discord):
    for _ in range(3):
        registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    for version in ("1", "2", "3"):
        assert cli("promote", version).exit_code == 0
    result = cli("rollback", "--reason", "errors in production", "--by", "carol")
    assert result.exit_code == 0, result.output
    assert "champion -> version 2 (was 3) by carol: errors in production" in result.output
    assert registry.by_alias("champion").registry_version == "2"
    assert registry.get("2").tags["rollback.by"] == "carol"
    assert posts(discord, 4)[3]["title"] == "Champion model rolled back"
    assert cli("rollback").exit_code == 0 and registry.by_alias("champion").registry_version == "1"
    refused = cli("rollback")
    assert refused.exit_code == 1 and "nothing to roll back to" in refused.output
    assert registry.by_alias("champion").registry_version == "1"


def test_rollback_after_a_champion_set_outside_the_commands(cli, registry):
    for _ in range(2):
        registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    registry.set_alias("champion", "1")  # e.g. in MLflow's own UI
    assert cli("promote", "2").exit_code == 0
    assert cli("rollback").exit_code == 0
    assert registry.by_alias("champion").registry_version == "1"


def test_shadow_sets_and_removes_the_challenger(cli, registry, discord):
    for _ in range(2):
        registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0
    refused = cli("shadow", "1")
    assert refused.exit_code == 1 and "is the champion" in refused.output
    result = cli("shadow", "2", "--reason", "try it on real traffic")
    assert result.exit_code == 0, result.output
    assert registry.by_alias("challenger").registry_version == "2"
    assert registry.get("2").tags["shadow.reason"] == "try it on real traffic"
    assert cli("shadow", "--off").exit_code == 0
    assert registry.by_alias("challenger") is None
    assert registry.get("2").tags["shadow-off.by"] == "ops-user"
    assert "Nothing to do: no challenger is set." in cli("shadow", "--off").output
    titles = [embed["title"] for embed in posts(discord, 3)]
    assert titles == ["New champion model", "New challenger model", "Challenger model removed"]
    time.sleep(0.5)
    assert len(discord.posts) == 3  # nothing for the --off that changed nothing


@pytest.mark.parametrize("args", [["shadow"], ["shadow", "2", "--off"]])
def test_shadow_needs_a_version_or_off(cli, args):
    result = cli(*args)
    assert result.exit_code == 2 and "give a VERSION, or --off" in result.output


def test_a_broken_challenger_is_refused(cli, registry, tmp_path):
    version = register_variant(registry, tmp_path, lambda c: c["input"].update(shape=[1, 2]))
    result = cli("shadow", version)
    assert result.exit_code == 1 and "refused" in result.output
    assert registry.by_alias("challenger") is None


def test_an_unknown_version_is_refused_clearly(cli, registry):
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    for command in ("promote", "shadow"):
        result = cli(command, "9")
        assert result.exit_code == 1
        assert (
            result.output
            == f"Error: no version 9 of {registry.name}; `flask models list` shows them\n"
        )
    not_a_number = cli("promote", "1.1.0+3ecc1288")
    assert not_a_number.exit_code == 2
    assert "'1.1.0+3ecc1288' is not a registry version" in not_a_number.output


def test_promoting_the_challenger_makes_it_champion_only(cli, registry, discord):
    for _ in range(2):
        registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0 and cli("shadow", "2").exit_code == 0
    result = cli("promote", "2", "--reason", "better in the shadows")
    assert result.exit_code == 0, result.output
    assert (
        "champion -> version 2 (was 1) by ops-user: better in the shadows; no longer challenger"
        in (result.output)
    )
    assert registry.aliases() == {"champion": "2"}  # the champion no longer shadows itself
    tags = registry.get("2").tags
    assert tags["shadow-off.reason"] == "promoted to champion" and tags["promote.by"] == "ops-user"
    last = json.loads(registry.model_tags()["last_change"])
    assert last["action"] == "promote" and last["cleared"] == ["challenger"]


def test_without_a_tracking_uri_the_commands_say_what_is_missing(make_cli, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    result = make_cli()("list")
    assert result.exit_code == 1 and "set MLFLOW_TRACKING_URI" in result.output


def test_an_unreachable_registry_fails_at_once(make_cli, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    url = f"http://127.0.0.1:{serve_helpers.free_port()}"
    started = time.monotonic()
    result = make_cli(MLFLOW_TRACKING_URI=url)("promote", "1")
    assert result.exit_code == 1 and "cannot reach MLflow" in result.output
    assert time.monotonic() - started < 5


def test_notices_follow_notify_language(make_cli, registry, discord, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert make_cli(registry, NOTIFY_LANGUAGE="fr")("promote", "1").exit_code == 0
    [embed] = posts(discord, 1)
    assert embed["title"] == "Nouveau modèle champion"
    assert embed["fields"][0] == {"name": "Gravité", "value": "information", "inline": True}


def _timestamp(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_register_packaged_draws_its_photos_of_known_class_from_the_test_split(
    cli, registry, tmp_path
):
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is absent")
    assert cli("register-packaged").exit_code == 2  # neither --checks nor --data
    result = cli("register-packaged", "--data", str(DATASET))
    assert result.exit_code == 0, result.output
    steps = [line.split(" ")[0] for line in result.output.splitlines()]
    assert steps == ["Writing", "Uploading", "Registered"]  # what it does while it does it
    assert f"Writing 8 check photos from the test split of {DATASET}..." in result.output
    folder = registry.download(registry.get("1"), tmp_path / "v1")
    for label in ("cat", "dog"):
        assert len(list((folder / "checks" / label).glob("*.jpg"))) == 4


def test_the_shipped_int8_copy_is_registered_but_refused_by_the_accuracy_gate(cli, registry):
    registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert cli("promote", "1").exit_code == 0
    int8 = SHIPPED_MODEL.with_name("catsdogs-int8.onnx")
    assert registry.register(int8, int8.with_suffix(".json")).registry_version == "2"
    result = cli("promote", "2")
    assert result.exit_code == 1, result.output
    assert "0.38 points below champion version 1's 98.50%" in result.output
    assert registry.by_alias("champion").registry_version == "1"
