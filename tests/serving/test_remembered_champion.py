"""A restart while MLflow is down serves the last champion this service verified, not the
packaged model: real MLflow, stopped between the two starts."""

import io
import logging

import pytest

from catsdogs import serving
from catsdogs.registry.client import Registry
from catsdogs.registry.lifecycle import CHAMPION
from catsdogs.serving.remembered import RECORD
from tests.helpers import AUTH, photos_of_known_class, shared_photos
from tests.registry import model_versions
from tests.registry.mlflow_server import MlflowServer


@pytest.fixture
def outage(make_app, tmp_path, tmp_path_factory, caplog):
    """A registry whose champion, version 1 (2.0.0-damped), an app verified and served; then
    MLflow stopped. `start()` is what the next process does first: create the app, check."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-remembered")).start()
    checks = photos_of_known_class(tmp_path / "checks")
    settings = {"MODEL_CHECK_PHOTOS": str(checks), "MLFLOW_TRACKING_URI": server.url}
    try:
        registry = Registry(server.url, name="catsdogs-remembered", timeout=60)
        version = model_versions.register(registry, model_versions.damped(tmp_path / "v"))
        registry.set_alias(CHAMPION, version.registry_version)
        first = make_app(MLFLOW_MODEL_NAME=registry.name, **settings)
        with caplog.at_level(logging.INFO, logger="catsdogs"):
            assert serving.parts(first).models.check()["serving"]["version"] == "2.0.0-damped"
        # The first model a process loads is no change to announce (no webhook: nothing sent).
        assert "now serving 2.0.0-damped (registry version 1)" in caplog.text
        assert "Model changed without restart" not in caplog.text
        caplog.clear()
        server.stop()

        def start():
            app = make_app(MLFLOW_MODEL_NAME=registry.name, **settings)
            serving.parts(app).models.check()  # init_app's first check, as a served process does
            return app

        yield start, tmp_path / "instance" / "models"
    finally:
        server.stop()


def test_a_restart_without_the_registry_serves_the_cached_champion(outage, caplog):
    start, _ = outage
    with caplog.at_level(logging.INFO, logger="catsdogs"):
        app = start()
    client = app.test_client()
    health = client.get("/health", headers=AUTH).get_json()
    assert health["serving"] == {
        "version": "2.0.0-damped",
        "registry_version": "1",
        "source": "cache",
        "precision": "fp32",
    }
    assert health["registry"]["reachable"] is False
    page = client.get("/monitoring").get_data(as_text=True)
    assert "registry version 1, from the model cache: the last champion verified here" in page
    [(_, photo)] = shared_photos("Cat", 1)
    answer = client.post("/api/predict", headers=AUTH, data={"file": (io.BytesIO(photo), "a.jpg")})
    assert answer.status_code == 200 and answer.json["model_version"] == "2.0.0-damped"
    said = caplog.text
    assert "serving 2.0.0-damped (registry version 1): the last champion this service verified" in (
        said
    )
    assert "from the model cache" in said
    assert "still serving" not in said and "packaged" not in said
    assert "not sending 'Model changed without restart'" not in said


def test_a_cached_champion_whose_file_changed_is_not_served(outage, caplog):
    start, cache = outage
    assert (cache / RECORD).is_file()
    model = cache / "1" / "catsdogs.onnx"
    model.write_bytes(model.read_bytes()[:-1] + b"\0")  # one byte differs from what was verified
    with caplog.at_level(logging.WARNING, logger="catsdogs"):
        app = start()
    health = app.test_client().get("/health", headers=AUTH).get_json()
    assert health["serving"]["source"] == "packaged"
    assert (
        "serving the packaged model 1.1.0+3ecc1288: the cached champion, registry version 1, "
        "failed its checks: version 1 refused (sha256)"
    ) in caplog.text
