"""The database's state, checked every few seconds: the gauge, the spool's replay, the alert."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from catsdogs.extensions import db
from catsdogs.monitoring.metrics import Telemetry
from catsdogs.periodic import Periodic
from catsdogs.store import records
from catsdogs.store.records import discard_session
from catsdogs.store.spool import Spool

log = logging.getLogger(__name__)


def database_connected() -> bool:
    """Run a query against the database; False if it does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 (whatever the failure, the answer is "not connected")
        return False
    finally:
        discard_session()


class DatabaseWatch(Periodic):
    """Checks the database every few seconds: sets the gauge, replays the spool, notifies."""

    name = "database-watch"

    def __init__(
        self,
        app: Flask,
        interval: float,
        spool: Spool,
        telemetry: Telemetry,
        on_change: Callable[[bool], None] | None = None,
    ):
        super().__init__(interval)
        self.app, self.spool, self.telemetry = app, spool, telemetry
        self.on_change = on_change
        self.connected: bool | None = None
        self._lock = threading.Lock()

    def run_once(self) -> None:
        self.check()

    def check(self) -> None:
        """Query the database now and act on the answer."""
        with self.app.app_context():
            self.observe(database_connected())

    def observe(self, connected: bool) -> None:
        """Record a check result; on a change, notify; when connected, replay the spool."""
        with self._lock:
            changed, self.connected = (
                self.connected is not None and connected != self.connected,
                connected,
            )
        self.telemetry.database.set(int(connected))
        if changed:
            log.warning("database %s", "connected again" if connected else "unreachable")
            if self.on_change:
                self.on_change(connected)
        if connected:
            self.replay()

    def replay(self) -> None:
        try:
            count = self.spool.replay(records.replay)
            if count:
                log.info("replayed %d spooled predictions", count)
        except Exception:
            discard_session()
            log.exception("replaying the spool failed; it is kept for the next attempt")
