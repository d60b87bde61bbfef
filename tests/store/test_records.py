"""Prediction records on the real database: save, spool when it is down, replay, clean text."""

import datetime
import json
import uuid

import pytest
from sqlalchemy import event, select

from catsdogs import store

from catsdogs.store import records
from catsdogs.extensions import db
from catsdogs.serving.classifier import Answer
from catsdogs.store.tables import Prediction
from catsdogs.store.training_photos import downscale
from tests.helpers import image_bytes, prediction_row


def prediction(label="cat") -> Answer:
    """What the model says: 1 + 2 + 3 ms, 80 % for `label`."""
    other = "dog" if label == "cat" else "cat"
    return Answer(label, {label: 0.8, other: 0.2}, "test-version", 1.0, 2.0, 3.0)


def stored() -> list[Prediction]:
    return list(db.session.scalars(select(Prediction).order_by(Prediction.id)))


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """SQLite gives back naive UTC times, PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def spooled(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def spool_row(**fields) -> dict:
    """A row as the spool writes it: all columns but the id, dates as text."""
    older_dog = dict(prediction_result="dog", proba_cat=0.3, proba_dog=0.7, model_version="older")
    row = prediction_row(**{**older_dog, "rgpd_consent": True, **fields})
    return json.loads(json.dumps(row, default=str))


def test_save_prediction_stores_a_row_with_defaults_and_returns_its_id(app):
    before = datetime.datetime.now(datetime.UTC)
    with app.app_context():
        row_id = store.parts(app).writer.save_prediction(prediction("dog"), True, "holiday/rex.jpg")
        [row] = stored()
    assert row_id == row.id
    assert uuid.UUID(row.request_id) and before <= as_utc(row.created_at)
    assert (row.prediction_result, row.proba_cat, row.proba_dog) == ("dog", 0.2, 0.8)
    assert row.inference_time_ms == 6.0 and row.model_version == "test-version"
    assert row.rgpd_consent is True and row.filename == "rex.jpg"
    assert (row.user_feedback, row.user_comment, row.feedback_at) == (None, None, None)


@pytest.mark.parametrize("wait_for_disk", [False, True])
def test_only_a_row_without_a_photo_skips_waiting_for_the_disk_and_only_on_postgresql(
    make_app, wait_for_disk
):
    app = make_app(PREDICTION_ROWS_WAIT_FOR_DISK=wait_for_disk)
    statements: list[str] = []
    with app.app_context():
        writer, engine = store.parts(app).writer, db.engine
        record = lambda *arguments: statements.append(arguments[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", record)
        try:
            row_alone = writer.save_prediction(prediction(), True, "cat.jpg")
            skipped_alone = [s for s in statements if "synchronous_commit" in s]
            statements.clear()
            photo = downscale(image_bytes(size=(64, 48)))
            row_with_photo = writer.save_prediction(prediction(), True, "cat.jpg", photo)
            skipped_with_photo = [s for s in statements if "synchronous_commit" in s]
        finally:
            event.remove(engine, "before_cursor_execute", record)
        on_postgresql = engine.dialect.name == "postgresql"
        assert [row.id for row in stored()] == [row_alone, row_with_photo]  # both stored
    assert bool(skipped_alone) == (on_postgresql and not wait_for_disk)
    assert skipped_with_photo == []


def test_without_consent_the_file_name_is_dropped(app):
    with app.app_context():
        store.parts(app).writer.save_prediction(prediction(), False, "me-at-the-beach.jpg")
        [row] = stored()
    assert row.rgpd_consent is False and row.filename is None


def test_an_unreachable_database_spools_the_row_and_returns_none(app, make_app, tmp_path):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    before = datetime.datetime.now(datetime.UTC)
    with down.app_context():
        assert store.parts(down).writer.save_prediction(prediction(), True, "cat.jpg") is None
    [row] = spooled(store.parts(down).spool.path)
    assert row["filename"] == "cat.jpg" and row["model_version"] == "test-version"
    assert uuid.UUID(row["request_id"])
    assert before <= datetime.datetime.fromisoformat(row["created_at"])
    # The app of a working database (same instance folder, so the same spool) stores it as it was.
    assert store.parts(app).spool.path == store.parts(down).spool.path
    with app.app_context():
        assert store.parts(app).spool.replay(records.replay) == 1
        [stored_row] = stored()
    assert stored_row.request_id == row["request_id"]
    assert as_utc(stored_row.created_at) == datetime.datetime.fromisoformat(row["created_at"])


def test_replay_inserts_in_order_skips_stored_rows_and_ignores_old_columns(app):
    with app.app_context():
        already = db.session.get(
            Prediction, store.parts(app).writer.save_prediction(prediction(), True, "live.jpg")
        ).request_id
        rows = [
            spool_row(filename="first.jpg"),
            spool_row(request_id=already, filename="again.jpg"),
            spool_row(filename="second.jpg") | {"success": True},  # written by an older release
        ]
        records.replay(rows)
        records.replay(rows)  # a second replay of the same rows adds nothing
        kept = stored()
    assert [r.filename for r in kept] == ["live.jpg", "first.jpg", "second.jpg"]
    assert [r.request_id for r in kept[1:]] == [rows[0]["request_id"], rows[2]["request_id"]]
    assert all(r.model_version == "older" for r in kept[1:])


@pytest.mark.parametrize(
    "name, kept",
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("\x00\x07", None),
        ("photos/", None),
        ("C:\\Users\\me\\cat.png", "cat.png"),
        ("  dog.jpg  ", "dog.jpg"),
    ],
)
def test_clean_filename(name, kept):
    assert records.clean_filename(name) == kept


@pytest.mark.parametrize(
    "text, kept",
    [
        (None, None),
        ("", None),
        (" \n\t ", None),
        ("\x00\x1b", None),
        ("line\r\nnext\ttab", "line\nnext\ttab"),
        ("nul\x00byte \ud800lone", "nulbyte lone"),
        ("  café 🐈  ", "café 🐈"),
    ],
)
def test_clean_comment(text, kept):
    assert records.clean_comment(text) == kept
