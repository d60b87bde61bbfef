"""The retention purge on the service's own schedule: personal fields cleared past RETENTION_DAYS,
photos kept for training deleted past TRAINING_PHOTO_RETENTION_DAYS.

Safe with several replicas: each purge is one UPDATE ... WHERE on rows that still hold a file
name or comment, and one DELETE ... WHERE on photos past their period, so replicas that purge at
the same moment clear each row once (the second one finds nothing left) and a purge run twice
changes nothing the second time.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import exc

from catsdogs.periodic import Periodic
from catsdogs.store import database, records

if TYPE_CHECKING:  # annotations only: the store imports nothing of monitoring
    from catsdogs.monitoring.metrics import Telemetry

log = logging.getLogger(__name__)


class RetentionPurge(Periodic):
    """Clears personal fields older than `days`, and deletes kept photos older than
    `photo_days`, every `interval` seconds, from start-up on; `telemetry` counts both."""

    name = "retention-purge"

    def __init__(
        self, app: Flask, telemetry: Telemetry, interval: float, days: int, photo_days: int = 365
    ):
        super().__init__(interval)
        self.app, self.telemetry = app, telemetry
        self.days, self.photo_days = days, photo_days

    def run_once(self) -> None:
        self.purge()

    def purge(self) -> int:
        """Clear what is past retention now; return how many predictions lost personal fields
        (deleted photos are logged and counted in cv_purged_training_photos_total)."""
        with self.app.app_context():
            try:
                cleared = records.purge_personal_data(datetime.timedelta(days=self.days))
                photos = records.purge_training_photos(datetime.timedelta(days=self.photo_days))
            except (exc.OperationalError, exc.InterfaceError) as error:
                records.discard_session()
                reason = database.reason(error)
                log.warning("retention purge postponed to its next round: %s", reason)
                return 0
            self.telemetry.record_purge(cleared, photos)
        if cleared:
            log.info(
                "retention: cleared personal data from %d predictions older than %d days",
                cleared,
                self.days,
            )
        if photos:
            log.info(
                "retention: deleted %d training photos older than %d days", photos, self.photo_days
            )
        return cleared
