"""A task repeated on a background thread: the database watch and the retention purge."""

import logging
import threading

log = logging.getLogger(__name__)


class Periodic:
    """Runs `run_once()` now, then every `interval` seconds, until `stop()`."""

    name = "periodic"

    def __init__(self, interval: float):
        self.interval = interval
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._loop, name=self.name, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the schedule must outlive any one failed round
                log.exception("%s: this round failed", self.name)
            self._stop.wait(self.interval)
