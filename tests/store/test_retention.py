"""The retention purge the service runs on its own: no CLI, idempotent, logged and counted."""

import logging
import time

from prometheus_client.parser import text_string_to_metric_families

from catsdogs import store
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction
from tests.helpers import stored_prediction


def add_consented(app, days_ago: float) -> int:
    """A consented prediction with a file name and a comment, made `days_ago` days ago."""
    with app.app_context():
        return stored_prediction(
            days_ago,
            rgpd_consent=True,
            filename="mine.jpg",
            user_feedback=1,
            user_comment="nice",
        )


def personal_fields(app, prediction_id: int) -> tuple:
    with app.app_context():
        row = db.session.get(Prediction, prediction_id)
        return row.filename, row.user_comment, row.user_feedback


def purged_total(app) -> float:
    """cv_purged_predictions_total as /metrics shows it."""
    families = text_string_to_metric_families(app.test_client().get("/metrics").text)
    [value] = [
        s.value for f in families for s in f.samples if s.name == "cv_purged_predictions_total"
    ]
    return value


def test_the_served_app_purges_an_old_row_on_its_own(make_app):
    # TESTING off: the app starts its schedule as it does under waitress.
    app = make_app(TESTING=False, RETENTION_DAYS=30, PURGE_INTERVAL_SECONDS=0.05)
    try:
        old, recent = add_consented(app, days_ago=31), add_consented(app, days_ago=29)
        deadline = time.monotonic() + 10
        while personal_fields(app, old) != (None, None, 1):
            assert time.monotonic() < deadline, "the service never purged the old row"
            time.sleep(0.05)
        assert personal_fields(app, recent) == ("mine.jpg", "nice", 1)
    finally:
        store.parts(app).purge.stop()


def test_tests_start_no_schedule_of_their_own(app):
    old = add_consented(app, days_ago=40)
    time.sleep(0.2)
    assert personal_fields(app, old) == ("mine.jpg", "nice", 1)


def test_a_purge_is_logged_counted_and_idempotent(app, caplog):
    # `app`, built before the test: migrating inside it would reset the handlers caplog added.
    old = add_consented(app, days_ago=31)
    add_consented(app, days_ago=1)
    purge = store.parts(app).purge
    with caplog.at_level(logging.INFO, logger="catsdogs.store.retention"):
        assert purge.purge() == 1
        assert purge.purge() == 0  # a second replica, or the next round, finds nothing left
    assert [r.getMessage() for r in caplog.records] == [
        "retention: cleared personal data from 1 predictions older than 30 days"
    ]
    assert personal_fields(app, old) == (None, None, 1)
    assert purged_total(app) == 1


def test_an_unreachable_database_postpones_the_purge_in_one_line(make_app, tmp_path, caplog):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    with caplog.at_level(logging.WARNING, logger="catsdogs.store.retention"):
        assert store.parts(app).purge.purge() == 0
    [record] = caplog.records
    assert record.getMessage().startswith(
        "retention purge postponed to its next round: unable to open"
    )
    assert "\n" not in record.getMessage() and record.exc_info is None
