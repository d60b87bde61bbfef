"""What tests share besides fixtures: the token, test settings, generated and real photos."""

import atexit
import datetime
import functools
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from catsdogs import create_app, serving
from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.store import migrations
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction, utc_now
from catsdogs.serving.served_models import Served

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATASET = SHARED / "datasets" / "PetImages-180.zip"
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
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


def petimages_folder(root: Path, per_class: int) -> Path:
    """A PetImages folder under `root`: the first `per_class` real photos of each class, and one
    corrupt file each, which training must skip."""
    for label in ("Cat", "Dog"):
        folder = root / "PetImages" / label
        folder.mkdir(parents=True)
        for name, data in shared_photos(label, per_class):
            (folder / Path(name).name).write_bytes(data)
        (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return root


def image_bytes(mode="RGB", size=(64, 48), fmt="PNG", color=None, **save) -> bytes:
    """A generated image of any Pillow mode, encoded in memory."""
    image = Image.new(mode, size, color if color is not None else 128)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def database_url_for(backend: str, folder: Path) -> str:
    """A database with no tables: a new SQLite file, or the emptied PostgreSQL test database."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'test.sqlite'}"
    url = os.environ["TEST_DATABASE_URL"]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "DROP TABLE IF EXISTS erased_photos, training_photos, predictions_feedback, "
                "alembic_version"
            )
        )
    engine.dispose()
    return url


def settings_for(folder: Path, database_url: str, **overrides) -> dict:
    """The configuration every test app starts from."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(folder / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "API_TOKENS": {"test": TOKEN, "other": "second-token-abcdef"},
        "DATABASE_CHECK_SECONDS": 0,
        **overrides,
    }


def migrated_app(settings: dict, classifier=None):
    """An app on `settings` whose database schema is up to date. A new SQLite file starts as a
    copy of one migrated once per process: migrating each test's database took about a fifth
    of the fast tier's time."""
    url = make_url(settings["SQLALCHEMY_DATABASE_URI"])
    new_sqlite = url.get_backend_name() == "sqlite" and not Path(url.database).exists()
    if new_sqlite:
        shutil.copyfile(migrated_sqlite(), url.database)
    app = create_app(settings, classifier)
    if not new_sqlite:
        with app.app_context():
            migrations.upgrade(app)
    return app


@functools.cache
def migrated_sqlite() -> Path:
    """A SQLite database at the migrations' head, in a folder removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="catsdogs-schema-"))
    settings = settings_for(folder, f"sqlite:///{folder / 'schema.sqlite'}")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    app = create_app(settings)
    with app.app_context():
        migrations.upgrade(app)
    close_app(app)
    return folder / "schema.sqlite"


def close_app(app) -> None:
    """Stop the app's background threads; return its database connections (PostgreSQL would
    keep them open)."""
    served = serving.parts(app)
    for background in (
        served.shadow,
        served.reverse_shadow,
        served.model_watch,
        served.canary_guard,
    ):
        background.stop()
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


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


class BrokenClassifier:
    """A model whose runtime fails on every call, as a corrupted session would."""

    model_version = "broken"
    card = ModelCard.for_model(SHIPPED_MODEL)  # the card survives its session

    def predict(self, data):
        raise RuntimeError("session lost")

    def predict_photo(self, data):
        raise RuntimeError("session lost")

    def predict_resized(self, pixels):
        raise RuntimeError("session lost")

    def predict_pixels(self, pixels):
        raise RuntimeError("session lost")


def serve_model(app, model) -> None:
    """Make `model` the app's serving model, as a registry swap would."""
    serving.parts(app).models.champion = Served(model)


def metric_samples(client, name: str) -> dict[tuple, float]:
    """The samples of metric `name` at /metrics, by their sorted (label, value) pairs."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in families
        for s in family.samples
        if s.name == name
    }


def photos_of_known_class(folder: Path, per_class: int = 2) -> Path:
    """Photos of known class from ../shared, laid out as a version's checks (cat/, dog/)."""
    for label in ("Cat", "Dog"):
        (folder / label.lower()).mkdir(parents=True, exist_ok=True)
        for name, data in shared_photos(label, per_class):
            (folder / label.lower() / name.rsplit("/", 1)[-1]).write_bytes(data)
    return folder


# The columns every prediction row needs: a confident cat.
CAT_ROW = dict(
    inference_time_ms=5.0,
    prediction_result="cat",
    proba_cat=0.9,
    proba_dog=0.1,
    model_version="test",
)


def prediction_row(**values) -> dict:
    """A prediction row as the write path builds it (request_id and created_at included): a cat,
    with `values` on top."""
    return Prediction.new_row(**{**CAT_ROW, **values})


def stored_prediction(days_ago: float = 0, **values) -> int:
    """Store a cat prediction made `days_ago` days ago, with `values` on top; return its id.
    Needs an app context."""
    created_at = utc_now() - datetime.timedelta(days=days_ago)
    row = Prediction(**{**CAT_ROW, "created_at": created_at, **values})
    db.session.add(row)
    db.session.commit()
    return row.id
