"""The database watch: it sets the gauge, notifies a loss and a recovery, and replays the spool."""

import time

from catsdogs import config, monitoring, store
from catsdogs.monitoring.notifier import COLORS
from tests.store.database_rows import database_gauge, spooled_row, stored_request_ids, unreachable


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
