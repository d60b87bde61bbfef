"""Health: what report() says, and the database watch that sets the gauge, notifies and replays."""

import time

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from catsdogs import config, monitoring, serving, store

from catsdogs.monitoring import health
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction
from catsdogs.monitoring.notifier import COLORS
from tests.helpers import BrokenClassifier, serve_model


def unreachable(folder) -> str:
    """A SQLite database in a folder that does not exist: every connection fails."""
    return f"sqlite:///{folder / 'missing' / 'db.sqlite'}"


def database_gauge(app) -> float:
    """cv_database_connected as /metrics shows it."""
    families = text_string_to_metric_families(app.test_client().get("/metrics").text)
    [value] = [s.value for f in families for s in f.samples if s.name == "cv_database_connected"]
    return value


def spooled_row(**fields) -> dict:
    """A prediction row as save_prediction spools it when the database is down."""
    values = dict(
        inference_time_ms=5.0,
        prediction_result="cat",
        proba_cat=0.9,
        proba_dog=0.1,
        model_version="test",
    )
    return Prediction.new_row(**{**values, **fields})


def stored_request_ids(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Prediction.request_id).order_by(Prediction.id)))


def test_report_is_healthy_with_the_model_and_the_database(app):
    with app.app_context():
        body, status = health.report(serving.parts(app).models, store.parts(app).spool)
    assert status == 200
    assert body == {
        "status": "healthy",
        "model": {"loaded": True, "version": serving.parts(app).classifier.version},
        "database": "connected",
        "spooled_predictions": 0,
        "serving": {
            "version": serving.parts(app).classifier.version,
            "registry_version": None,
            "source": "packaged",
        },
        "shadow": None,
        "registry": {
            "configured": False,
            "reachable": None,
            "last_success": None,
            "last_error": None,
            "refused_versions": {},
        },
    }


def test_report_is_degraded_without_the_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable(tmp_path))
    store.parts(app).spool.append(spooled_row())
    with app.app_context():
        body, status = health.report(serving.parts(app).models, store.parts(app).spool)
    assert status == 200
    assert body["status"] == "degraded" and body["database"] == "disconnected"
    assert body["model"]["loaded"] is True and body["spooled_predictions"] == 1


def test_report_is_unhealthy_without_a_working_model(app):
    serve_model(app, BrokenClassifier())
    with app.app_context():
        body, status = health.report(serving.parts(app).models, store.parts(app).spool)
    assert status == 503
    assert body["status"] == "unhealthy" and body["database"] == "connected"
    assert body["model"] == {"loaded": False, "version": "broken"}


def test_database_gauge_is_kept_current_by_the_background_check(make_app):
    assert 0 < config.DEFAULTS["DATABASE_CHECK_SECONDS"] <= 15
    app = make_app()
    watch = store.parts(app).database_watch
    assert database_gauge(app) == 0  # nothing checked yet
    watch.interval = 0.05
    watch.start()
    try:
        deadline = time.monotonic() + 5
        while database_gauge(app) != 1:
            assert time.monotonic() < deadline, "the watch never set the gauge"
            time.sleep(0.05)
    finally:
        watch.stop()


def test_database_gauge_drops_when_the_database_is_unreachable(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable(tmp_path))
    store.parts(app).database_watch.check()
    assert database_gauge(app) == 0


def test_database_watch_notifies_a_loss_and_a_recovery(make_app, discord):
    app = make_app(DISCORD_WEBHOOK_URL=discord.url)
    sender = monitoring.parts(app).alerts.notifier
    sender.cooldown = 0  # the recovery would otherwise wait for the one-minute cooldown
    watch = store.parts(app).database_watch
    with app.app_context():
        for connected in (True, True, False, False, False, True, True):
            watch.observe(connected)
    assert sender.flush(timeout=5)
    sender.close()
    embeds = [body["embeds"][0] for body in discord.wait_for(2, timeout=5)]
    assert [(e["title"], e["color"]) for e in embeds] == [
        ("Database unreachable", COLORS["critical"]),
        ("Database restored", COLORS["info"]),
    ]


def test_health_does_not_replay_the_spool_but_the_watch_does(app):
    row = spooled_row()
    store.parts(app).spool.append(row)
    health_body = app.test_client().get("/health").get_json()
    assert health_body["status"] == "healthy" and health_body["spooled_predictions"] == 1
    assert len(store.parts(app).spool) == 1 and stored_request_ids(app) == []
    store.parts(app).database_watch.check()
    assert len(store.parts(app).spool) == 0 and stored_request_ids(app) == [row["request_id"]]
    assert database_gauge(app) == 1


def test_the_watch_keeps_the_spool_while_the_database_is_unreachable(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable(tmp_path))
    store.parts(app).spool.append(spooled_row())
    store.parts(app).database_watch.check()
    assert len(store.parts(app).spool) == 1


def test_a_row_the_database_refuses_stays_in_the_spool_for_the_next_attempt(app):
    bird = spooled_row(prediction_result="bird")  # breaks a check constraint
    store.parts(app).spool.append(bird)
    store.parts(app).database_watch.check()  # logs the failure; the watch carries on
    assert len(store.parts(app).spool) == 1 and stored_request_ids(app) == []
    assert database_gauge(app) == 1
