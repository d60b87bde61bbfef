"""Fixtures as in the Flask tutorial (app, client, runner) plus `api` and `htmx` clients.

Database tests run on SQLite, and also on PostgreSQL when TEST_DATABASE_URL points at one.
Shared helpers live in tests/helpers.py. End-to-end tests carry the `system` marker: those of
a module marked so, those using a fixture of SYSTEM_FIXTURES and those marked `training`;
`make check` deselects them (-m "not system").
"""

import os
import re
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from catsdogs import config, create_app
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

# Fixtures that start a real server or engine from outside the test extra: a test using one,
# even through another fixture, is a system test.
SYSTEM_FIXTURES = {"mlflow_server", "docker_engine"}


def app_variables() -> set[str]:
    """Every environment variable catsdogs/config.py reads: its ENVIRONMENT table and the names
    it reads one by one (DATABASE_URL, API_TOKEN, ...)."""
    named = re.findall(r"environ(?:\.get\(|\[)\s*\"([A-Z_]+)\"", Path(config.__file__).read_text())
    return set(config.ENVIRONMENT) | set(named)


def callers_settings() -> list[str]:
    """The app's and Flask's variables set in this process's environment."""
    return [name for name in os.environ if name in APP_VARIABLES or name.startswith("FLASK_")]


APP_VARIABLES = app_variables()


@pytest.fixture(scope="session", autouse=True)
def hermetic():
    """No setting of the caller's shell reaches an app the tests build: someone who exported
    API_TOKEN or RATELIMIT_ENABLED=false for `make up` gets the same results. The servers the
    tests start (waitress, replicas, Compose, MLflow) copy os.environ, so they get it clean too;
    each test sets what it needs in its own configuration."""
    with pytest.MonkeyPatch.context() as patch:
        for name in callers_settings():
            patch.delenv(name)
        # Nor does a .env in the checkout (`make up` writes one): Flask's CLI and config.load
        # both skip it.
        patch.setenv("FLASK_SKIP_DOTENV", "1")
        yield


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SYSTEM_FIXTURES & set(item.fixturenames) or item.get_closest_marker("training"):
            item.add_marker(pytest.mark.system)
    # `one_database`: minutes of serving or the registry, whose subject is not storage, run
    # once, on the database a deployment uses (PostgreSQL when the run has one), not on each.
    others = [item for item in items if item.get_closest_marker("one_database")
              and _backend(item) not in (None, BACKENDS[-1])]  # fmt: skip
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if item not in others]


def _backend(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database_url") if callspec else None


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
    no background threads; the variables a .env loads are dropped after the test. The caller's
    settings are already gone (`hermetic`)."""
    saved = dict(os.environ)
    monkeypatch.chdir(tmp_path)
    os.environ.pop("FLASK_SKIP_DOTENV")  # these tests read the .env they write
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
