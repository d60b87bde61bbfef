"""Ids are never reused, on SQLite and PostgreSQL alike: an erased prediction's id and its kept
photo's id stay erased, so nothing that still names them (a card, a page, a client) reaches
another row. The migration that brought this to SQLite keeps every stored id."""

import datetime

import pytest
from sqlalchemy import MetaData, Table, insert, inspect, select, text

from catsdogs import create_app
from catsdogs.store import migrations
from catsdogs.extensions import db
from catsdogs.store import records
from catsdogs.store.tables import Prediction, TrainingPhoto, utc_now
from tests.helpers import close_app, prediction_row, settings_for
from tests.store.feedback_photos import keep_photo, small_jpeg

BEFORE = "3f9a6c1e2d47"  # the revision before ids were made never to be reused on SQLite


def newest_ids(photo_id: int) -> tuple[int, int]:
    return db.session.get(TrainingPhoto, photo_id).prediction_id, photo_id


def test_an_erased_newest_id_is_never_given_again(app):
    with app.app_context():
        keep_photo("cat")
        erased_prediction, erased_photo = newest_ids(keep_photo("dog"))
        records.erase(erased_prediction)
        prediction_id, photo_id = newest_ids(keep_photo("cat"))
        assert prediction_id > erased_prediction
        assert photo_id > erased_photo


def test_a_photo_erased_alone_leaves_its_id_unused(app):
    with app.app_context():
        erased = keep_photo("dog")
        records.purge_training_photos(older_than=-datetime.timedelta(days=1))
        assert db.session.get(TrainingPhoto, erased) is None
        assert keep_photo("cat") > erased


@pytest.fixture
def old_app(database_url, tmp_path, classifier):
    """An app whose database stands at the revision before, with rows and a gap in their ids."""
    app = create_app(settings_for(tmp_path, database_url), classifier)
    with app.app_context():
        migrations.upgrade(app, BEFORE)
        # The tables as they stood then: later revisions add columns the models now have.
        predictions, photos = (
            Table(name, MetaData(), autoload_with=db.engine)
            for name in ("predictions_feedback", "training_photos")
        )
        for prediction_id in (1, 2, 5):
            values = row(prediction_id)
            db.session.execute(
                insert(predictions).values(
                    **{c: values[c] for c in predictions.c.keys() if c in values}
                )
            )
            db.session.execute(insert(photos).values(**photo(prediction_id)))
        if db.engine.dialect.name == "postgresql":  # as if the sequences had given those ids
            for table, last in (("predictions_feedback", 5), ("training_photos", 50)):
                db.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
                )
        db.session.commit()
    yield app
    close_app(app)


def row(prediction_id: int) -> dict:
    return prediction_row(
        id=prediction_id, rgpd_consent=True, training_consent=True, user_feedback=1
    )


def photo(prediction_id: int) -> dict:
    jpeg = small_jpeg()
    return dict(
        id=prediction_id * 10,
        prediction_id=prediction_id,
        training_consent=True,
        created_at=utc_now(),
        jpeg=jpeg,
        sha256="0" * 64,
        width=40,
        height=30,
    )


def stored() -> list[tuple]:
    db.session.expire_all()
    query = select(TrainingPhoto.id, TrainingPhoto.prediction_id, Prediction.user_feedback)
    rows = db.session.execute(query.join(Prediction).order_by(TrainingPhoto.id)).all()
    db.session.rollback()  # no open read: a migration's ALTER TABLE would wait for it
    return rows


def autoincrement(table: str) -> bool:
    """Whether SQLite's table never reuses ids (PostgreSQL's sequences never do)."""
    if db.engine.dialect.name != "sqlite":
        return True
    sql = db.session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    return "AUTOINCREMENT" in sql


def test_the_migration_keeps_every_id_and_never_reuses_one(old_app):
    kept = [(10, 1, 1), (20, 2, 1), (50, 5, 1)]
    with old_app.app_context():
        migrations.upgrade(old_app)
        assert stored() == kept
        assert autoincrement("predictions_feedback") and autoincrement("training_photos")
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("training_photos")}
        assert {"ck_photo_consent", "ck_photo_label", "ck_photo_review"} <= checks
        records.erase(5)  # the cascade still takes the photo with its prediction
        assert stored() == kept[:2]
        new_photo = keep_photo("dog")
        assert db.session.get(TrainingPhoto, new_photo).prediction_id > 5 and new_photo > 50


def test_the_migration_downgrades_with_the_rows(old_app):
    with old_app.app_context():
        migrations.upgrade(old_app)
        migrations.downgrade(old_app, BEFORE)
        assert stored() == [(10, 1, 1), (20, 2, 1), (50, 5, 1)]
        if db.engine.dialect.name == "sqlite":
            assert not autoincrement("predictions_feedback")
            assert not autoincrement("training_photos")
        # Erased as that revision's code did; the models now have columns it lacks.
        db.session.execute(text("DELETE FROM training_photos WHERE prediction_id = 1"))
        db.session.execute(text("DELETE FROM predictions_feedback WHERE id = 1"))
        db.session.commit()
        assert stored() == [(20, 2, 1), (50, 5, 1)]
        migrations.upgrade(old_app)
        assert stored() == [(20, 2, 1), (50, 5, 1)]
        assert autoincrement("predictions_feedback") and autoincrement("training_photos")
