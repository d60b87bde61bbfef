"""Fixtures as in the Flask tutorial (app, client, runner) plus `api` and `htmx` clients.

Database tests run on SQLite, and also on PostgreSQL when TEST_DATABASE_URL points at one.
"""

import io
import os
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import create_engine, text

from catsdogs import create_app
from catsdogs.cli import MIGRATIONS
from catsdogs.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATASET = SHARED / "datasets" / "PetImages-180.zip"
TOKEN = "test-token-0123456789"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def shared_photos(label: str, count: int) -> list[tuple[str, bytes]]:
    """The first `count` photos of a class ("Cat" or "Dog") from ../shared; skip if absent."""
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is absent: real-photo checks need ../shared")
    with zipfile.ZipFile(DATASET) as archive:
        names = sorted(
            n
            for n in archive.namelist()
            if n.startswith(f"PetImages/{label}/") and n.endswith(".jpg")
        )
        return [(n, archive.read(n)) for n in names[:count]]


def image_bytes(mode="RGB", size=(64, 48), fmt="PNG", color=None, **save) -> bytes:
    """A generated image of any Pillow mode, encoded in memory."""
    image = Image.new(mode, size, color if color is not None else 128)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    url = os.environ["TEST_DATABASE_URL"]
    engine = create_engine(url)
    with engine.begin() as connection:  # a clean schema for every test
        connection.execute(text("DROP TABLE IF EXISTS predictions_feedback, alembic_version"))
    engine.dispose()
    yield url


def settings_for(tmp_path, database_url, **overrides) -> dict:
    """The configuration every test app starts from."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "API_TOKENS": {"test": TOKEN, "other": "second-token-abcdef"},
        "DATABASE_CHECK_SECONDS": 0,
        **overrides,
    }


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app with configuration overrides and a migrated database."""
    from flask_migrate import upgrade

    apps = []

    def build(**overrides):
        app = create_app(settings_for(tmp_path, database_url, **overrides))
        if overrides.get("SQLALCHEMY_DATABASE_URI", database_url) == database_url:
            with app.app_context():
                upgrade(directory=MIGRATIONS)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class ApiClient(FlaskClient):
    """A test client that sends the Bearer token on every request."""

    def open(self, *args, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Authorization", f"Bearer {TOKEN}")
        return super().open(*args, headers=headers, **kwargs)


class HtmxClient(FlaskClient):
    """A test client whose requests look like htmx requests."""

    def open(self, *args, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("HX-Request", "true")
        return super().open(*args, headers=headers, **kwargs)


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
