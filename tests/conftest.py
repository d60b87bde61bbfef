"""Fixtures as in the Flask tutorial (app, client, runner) plus `api` and `htmx` clients.

Database tests run on SQLite, and also on PostgreSQL when TEST_DATABASE_URL points at one.
Shared helpers live in tests/helpers.py.
"""

import os
import uuid

import pytest
from flask.testing import FlaskClient

from catsdogs import create_app
from catsdogs.card import SHIPPED_MODEL
from catsdogs.serving.classifier import load_classifier
from catsdogs.registry.client import Registry
from tests.helpers import (
    BACKENDS,
    ApiClient,
    HtmxClient,
    close_app,
    database_url_for,
    migrated_app,
    settings_for,
    shared_photos,
)
from tests.monitoring.discord_stub import DiscordStub
from tests.registry.mlflow_server import MLFLOW, MlflowServer


@pytest.fixture(scope="session")
def classifier():
    """The shipped model, loaded once: apps that a test changes get a model of their own."""
    return load_classifier(str(SHIPPED_MODEL))


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    return database_url_for(request.param, tmp_path)


@pytest.fixture
def make_app(database_url, tmp_path, classifier):
    """Build an app with configuration overrides; its own database is migrated."""
    apps = []

    def build(**overrides):
        settings = settings_for(tmp_path, database_url, **overrides)
        model = None if "MODEL_PATH" in overrides else classifier
        if settings["SQLALCHEMY_DATABASE_URI"] == database_url:
            app = migrated_app(settings, model)
        else:
            app = create_app(settings, model)
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)


@pytest.fixture
def environment(tmp_path, monkeypatch):
    """For create_app() from the environment: a fresh working directory (write a .env there),
    no background threads; the variables a .env loads are dropped after the test."""
    saved = dict(os.environ)
    monkeypatch.chdir(tmp_path)
    for name in ("API_TOKEN", "API_TOKENS", "DATABASE_URL", "SECRET_KEY"):
        os.environ.pop(name, None)
    os.environ.update(
        INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_CHECK_SECONDS="0",
        PURGE_INTERVAL_SECONDS="0",
    )
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def api(app) -> ApiClient:
    app.test_client_class = ApiClient
    return app.test_client()


@pytest.fixture
def htmx(app) -> HtmxClient:
    app.test_client_class = HtmxClient
    return app.test_client()


@pytest.fixture(scope="session")
def cat_photo() -> bytes:
    return shared_photos("Cat", 1)[0][1]


@pytest.fixture(scope="session")
def dog_photo() -> bytes:
    return shared_photos("Dog", 1)[0][1]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real MLflow tracking server shared by the session (a test that stops one starts its own
    MlflowServer)."""
    if not MLFLOW.exists():
        pytest.skip(f"no MLflow server at {MLFLOW}: `make mlflow` installs it")
    server = MlflowServer(tmp_path_factory.mktemp("mlflow")).start()
    yield server
    server.stop()


@pytest.fixture
def registry(mlflow_server) -> Registry:
    """A registered model of its own on the shared server, so tests never see each other's."""
    # A generous timeout: the server answers its first calls slowly (lazy imports) on busy cores.
    return Registry(mlflow_server.url, name=f"catsdogs-{uuid.uuid4().hex[:12]}", timeout=60)


@pytest.fixture
def discord():
    """A local stand-in for the Discord webhook: what the app posts, in order."""
    stub = DiscordStub()
    yield stub
    stub.close()
