"""A registry's answers are data, not paths or hosts: hostile versions and URIs are refused.

A fake MLflow gives the answers a real one never would (issue 27, finding 6).
"""

import pytest

from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry.client import Registry, file_sha256
from catsdogs.serving.classifier import load_classifier
from catsdogs.serving.served_models import Serving
from tests.helpers import AUTH, photos_of_known_class
from tests.registry import model_versions
from tests.registry.fake_mlflow import FakeMlflow


@pytest.fixture(scope="module")
def packaged():
    return load_classifier(SHIPPED_MODEL)


@pytest.fixture
def fake():
    server = FakeMlflow()
    yield server
    server.close()


@pytest.fixture
def serving(packaged, fake, tmp_path):
    checks = photos_of_known_class(tmp_path / "checks")
    cache = tmp_path / "cache" / "models"
    cache.mkdir(parents=True)  # as after a first download: `..` climbs out of it only then
    return Serving(packaged, Registry(fake.url), cache, check_folder=checks)


@pytest.mark.parametrize("sha256", ["right", "wrong"])
def test_a_version_that_climbs_out_of_the_cache_is_neither_loaded_nor_deleted(
    serving, fake, tmp_path, packaged, sha256
):
    victim = model_versions.shipped(tmp_path / "victim" / "model")
    digest = file_sha256(victim / "catsdogs.onnx") if sha256 == "right" else "0" * 64
    fake.version, fake.tags = "../../victim/model", {"sha256": digest}
    status = serving.check()
    assert serving.champion.classifier is packaged  # nothing loaded from outside the cache
    assert (victim / "catsdogs.onnx").is_file()  # nor deleted there
    assert (
        status["registry"]["last_error"]
        and "../../victim/model" in status["registry"]["last_error"]
    )


def test_a_version_with_a_slash_is_refused_not_a_500(make_app, fake):
    fake.version = "1/2"
    app = make_app(MLFLOW_TRACKING_URI=fake.url)
    client = app.test_client()
    response = client.post("/api/model/reload", headers=AUTH)
    assert response.status_code == 503 and response.json["error"] == "registry_unreachable"
    assert "1/2" in response.json["message"]
    health = client.get("/health", headers=AUTH).json
    assert health["serving"]["source"] == "packaged" and "1/2" in health["registry"]["last_error"]


def test_artifacts_are_fetched_only_from_the_tracking_servers_host(serving, fake, tmp_path):
    other = FakeMlflow(files=model_versions.shipped(tmp_path / "elsewhere"))
    try:
        fake.artifact_uri = f"mlflow-artifacts://{other.url.split('//')[1]}/models/1"
        status = serving.check()
    finally:
        other.close()
    assert other.requests == []
    assert serving.champion.registry_version is None
    assert "another host" in status["registry"]["last_error"]


def test_artifacts_named_on_the_tracking_servers_own_host_still_load(serving, fake, tmp_path):
    fake.files = model_versions.shipped(tmp_path / "v")
    fake.tags = {"sha256": file_sha256(fake.files / "catsdogs.onnx")}
    fake.artifact_uri = f"mlflow-artifacts://{fake.url.split('//')[1]}/models/1"
    assert serving.check()["serving"]["registry_version"] == "1"


def test_an_unforeseen_load_error_refuses_the_version(serving, fake, tmp_path, monkeypatch):
    fake.files = model_versions.shipped(tmp_path / "v")
    fake.tags = {"sha256": file_sha256(fake.files / "catsdogs.onnx")}

    def broken(*args):
        raise RuntimeError("the runtime broke")

    monkeypatch.setattr("catsdogs.serving.candidates.Classifier", broken)
    status = serving.check()
    assert status["serving"]["source"] == "packaged"
    assert status["registry"]["refused_versions"] == {"1": "other: RuntimeError: the runtime broke"}
    assert not (tmp_path / "cache" / "models" / "1").exists()


def test_a_full_disk_is_reported_and_the_version_tried_again(serving, fake, monkeypatch):
    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serving.registry, "download", full)
    status = serving.check()
    assert status["serving"]["source"] == "packaged"
    assert status["registry"]["refused_versions"] == {}
    assert "No space left on device" in status["registry"]["last_error"]
