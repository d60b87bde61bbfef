"""serving: the registry's champion and challenger served without restart, on a real MLflow."""

import logging

import pytest

from catsdogs.card import SHIPPED_MODEL
from catsdogs.serving.classifier import load_classifier
from catsdogs.registry.lifecycle import CHALLENGER, CHAMPION
from catsdogs.serving.candidates import check_photos
from catsdogs.serving.served_models import Serving
from catsdogs.registry.client import Registry
from tests.registry import model_versions
from tests.monitoring.discord_stub import DiscordStub
from tests.helpers import AUTH, metric_samples, photos_of_known_class


@pytest.fixture(scope="module")
def packaged():
    return load_classifier(SHIPPED_MODEL)


@pytest.fixture(scope="module")
def known_photos(tmp_path_factory):
    """Photos of known class, in the folder layout a version's checks use."""
    return photos_of_known_class(tmp_path_factory.mktemp("checks"), per_class=3)


@pytest.fixture
def events():
    return []


@pytest.fixture
def serving(packaged, registry, known_photos, tmp_path, events):
    return Serving(
        packaged,
        registry,
        cache=tmp_path / "models",
        check_folder=known_photos,
        on_event=lambda kind, details: events.append((kind, details)),
    )


def kinds(events) -> list[str]:
    return [kind for kind, _ in events if kind != "checked"]


def test_check_photos_are_read_by_class_folder(known_photos):
    found = check_photos(known_photos)
    assert sorted({label for label, _ in found}) == ["cat", "dog"] and len(found) == 6


def test_without_a_champion_the_packaged_model_keeps_serving(serving, packaged, events):
    status = serving.check()
    assert serving.champion.classifier is packaged
    assert status["serving"] == {
        "version": packaged.model_version,
        "registry_version": None,
        "source": "packaged",
        "precision": "fp32",
    }
    assert status["registry"]["reachable"] is True and status["registry"]["last_success"]
    assert kinds(events) == []


def test_the_champion_is_downloaded_checked_and_swapped_in(serving, registry, tmp_path, events):
    version = model_versions.register(registry, model_versions.damped(tmp_path / "v"))
    registry.set_alias(CHAMPION, version.registry_version)
    before = serving.champion
    status = serving.check()
    assert status["serving"] == {
        "version": "2.0.0-damped",
        "registry_version": version.registry_version,
        "source": "registry",
        "precision": "fp32",
    }
    assert serving.champion is not before and before.classifier.model_version != "2.0.0-damped"
    cached = tmp_path / "models" / version.registry_version / "catsdogs.onnx"
    assert cached.read_bytes() == (tmp_path / "v" / "catsdogs.onnx").read_bytes()
    assert kinds(events) == ["swapped"]
    serving.check()  # nothing moved: no second download, no second event
    assert kinds(events) == ["swapped"]


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("wrong_sha256", "sha256"),
        ("wrong_input", "load"),
        ("not_onnx", "load"),
        ("wrong_answers", "check_photos"),
    ],
)
def test_a_corrupt_version_is_refused_and_the_old_model_keeps_serving(
    serving, registry, tmp_path, events, packaged, kind, reason
):
    version = model_versions.register(registry, model_versions.broken(tmp_path / "v", kind))
    registry.set_alias(CHAMPION, version.registry_version)
    status = serving.check()
    assert serving.champion.classifier is packaged
    assert status["serving"]["source"] == "packaged"
    assert status["registry"]["refused_versions"][version.registry_version].startswith(reason)
    [(kind_seen, details)] = [(k, d) for k, d in events if k != "checked"]
    assert kind_seen == "refused" and details["reason"] == reason
    assert not (tmp_path / "models" / version.registry_version).exists()  # nothing refused is kept
    serving.check()  # refused once, not downloaded again at every poll
    assert kinds(events) == ["refused"]


def test_rollback_is_the_alias_moving_back(serving, registry, tmp_path, packaged):
    first = model_versions.register(registry, model_versions.shipped(tmp_path / "one"))
    second = model_versions.register(registry, model_versions.damped(tmp_path / "two"))
    registry.set_alias(CHAMPION, second.registry_version)
    assert serving.check()["serving"]["registry_version"] == second.registry_version
    registry.set_alias(CHAMPION, first.registry_version)
    status = serving.check()
    assert status["serving"] == {
        "version": packaged.model_version,
        "registry_version": first.registry_version,
        "source": "registry",
        "precision": "fp32",
    }


def test_a_challenger_turns_shadow_traffic_on_and_off(serving, registry, tmp_path, events):
    version = model_versions.register(registry, model_versions.damped(tmp_path / "v"))
    registry.set_alias(CHALLENGER, version.registry_version)
    status = serving.check()
    assert status["shadow"]["registry_version"] == version.registry_version
    assert serving.challenger.classifier.model_version == "2.0.0-damped"
    assert status["serving"]["source"] == "packaged"  # the challenger never serves
    registry.delete_alias(CHALLENGER)
    assert serving.check()["shadow"] is None and serving.challenger is None
    assert kinds(events) == ["shadow_on", "shadow_off"]


def test_an_unreachable_registry_keeps_the_model_and_says_so(
    packaged, known_photos, tmp_path, events
):
    serving = Serving(
        packaged,
        Registry("http://127.0.0.1:9", timeout=2),  # the discard port: nothing listens
        cache=tmp_path,
        check_folder=known_photos,
        on_event=lambda kind, details: events.append((kind, details)),
    )
    status = serving.check()
    assert serving.champion.classifier is packaged
    assert status["registry"]["reachable"] is False and status["registry"]["last_error"]
    serving.check()
    assert kinds(events) == ["registry_unreachable"]  # said once, not at every poll


def test_a_version_brings_its_own_photos_of_known_class(
    packaged, registry, known_photos, tmp_path, events
):
    serving = Serving(packaged, registry, cache=tmp_path / "models")  # no MODEL_CHECK_PHOTOS
    version = model_versions.register(
        registry, model_versions.damped(tmp_path / "v"), checks=known_photos
    )
    registry.set_alias(CHAMPION, version.registry_version)
    assert serving.check()["serving"]["registry_version"] == version.registry_version
    checks = tmp_path / "models" / version.registry_version / "checks"
    kept = sorted(p.name for p in checks.rglob("*.*"))
    assert kept == sorted(p.name for p in known_photos.rglob("*.*"))


def test_a_version_without_photos_of_known_class_is_refused(packaged, registry, tmp_path):
    serving = Serving(packaged, registry, cache=tmp_path / "models")
    version = model_versions.register(registry, model_versions.damped(tmp_path / "v"))
    registry.set_alias(CHAMPION, version.registry_version)
    status = serving.check()
    assert serving.champion.classifier is packaged
    refused = status["registry"]["refused_versions"]
    assert refused[version.registry_version].startswith("check_photos")


def test_a_refused_version_shows_in_metrics_logs_health_and_discord(
    make_app, registry, mlflow_server, tmp_path, caplog
):
    discord = DiscordStub()
    try:
        version = model_versions.register(
            registry, model_versions.broken(tmp_path / "v", "wrong_sha256")
        )
        registry.set_alias(CHAMPION, version.registry_version)
        app = make_app(
            MLFLOW_TRACKING_URI=mlflow_server.url,
            MLFLOW_MODEL_NAME=registry.name,
            DISCORD_WEBHOOK_URL=discord.url,
            NOTIFY_LANGUAGE="fr",
        )
        client = app.test_client()
        with caplog.at_level(logging.ERROR, logger="catsdogs"):
            status = client.post("/api/model/reload", headers=AUTH).get_json()
        assert status["serving"]["source"] == "packaged"
        assert status["registry"]["refused_versions"][version.registry_version].startswith("sha256")
        refused = metric_samples(client, "cv_model_refused_total")
        assert refused[(("reason", "sha256"),)] == 1 and refused[(("reason", "load"),)] == 0
        assert f"version {version.registry_version} refused (sha256)" in caplog.text
        health = client.get("/health", headers=AUTH).get_json()
        assert version.registry_version in health["registry"]["refused_versions"]
        [post] = discord.wait_for(1, timeout=10)
        embed = post["embeds"][0]
        assert embed["title"] == "Version de modèle refusée"
        assert f"version {version.registry_version} du registre" in embed["description"]
    finally:
        discord.close()
