"""The retention purge on the service's own schedule: personal fields cleared past RETENTION_DAYS.

Safe with several replicas: each purge is one UPDATE ... WHERE on rows that still hold a file
name or comment, so replicas that purge at the same moment clear each row once (the second one
finds nothing left to clear) and a purge run twice changes nothing the second time.
"""

import datetime
import logging
import threading

from sqlalchemy import exc

from catsdogs import database, records, state

log = logging.getLogger(__name__)


class RetentionPurge:
    """Clears personal fields older than `days` every `interval` seconds, from start-up on."""

    def __init__(self, app, interval: float, days: int):
        self.app, self.interval, self.days = app, interval, days
        self._stop = threading.Event()

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name="retention-purge", daemon=True)
        thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.purge()
            except Exception:  # the schedule must outlive any one failed purge
                log.exception("retention purge failed")
            self._stop.wait(self.interval)

    def purge(self) -> int:
        """Clear what is past retention now; return how many predictions lost personal fields."""
        with self.app.app_context():
            try:
                cleared = records.purge_personal_data(datetime.timedelta(days=self.days))
            except (exc.OperationalError, exc.InterfaceError) as error:
                records.discard_session()
                reason = database.reason(error)
                log.warning("retention purge postponed to its next round: %s", reason)
                return 0
            state.telemetry().record_purge(cleared)
        if cleared:
            log.info(
                "retention: cleared personal data from %d predictions older than %d days",
                cleared,
                self.days,
            )
        return cleared
