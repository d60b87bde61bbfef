"""Model health with several workers: each worker's windows, merged when any worker is scraped.

Each worker keeps the window of its own predictions and writes its counts to a file of its own
in PROMETHEUS_MULTIPROC_DIR at most every PUBLISH_SECONDS; the worker that answers /metrics
or the monitoring page adds the other live workers' files to its own fresh counts. Counts and
sums add up, so the merged window's shares and PSI are those of the service's predictions.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
PUBLISH_SECONDS = 1.0
PREFIX = "health_"


def file_of(folder: Path, pid: int) -> Path:
    """The file where worker `pid` publishes its windows (the parent removes it when it dies)."""
    return folder / f"{PREFIX}{pid}.json"


class SharedWindows:
    """Publish this worker's snapshots (per model version) and read the others' back."""

    def __init__(self, folder: Path, snapshots: Callable[[], dict[str, dict]]):
        self.folder, self.snapshots = folder, snapshots
        self.changed = threading.Event()
        threading.Thread(target=self._publish_loop, name="health-publish", daemon=True).start()

    def _publish_loop(self) -> None:
        while True:
            self.changed.wait()
            self.changed.clear()
            try:
                self.publish()
            except OSError as error:  # a full disk: the others merge this worker's last file
                log.warning("model health: cannot publish this worker's windows: %s", error)
            time.sleep(PUBLISH_SECONDS)  # at most one file a second, however busy

    def publish(self) -> None:
        """Write this worker's snapshots, whole: readers never see a half-written file."""
        target = file_of(self.folder, os.getpid())
        partial = target.with_suffix(".partial")
        partial.write_text(json.dumps(self.snapshots()))
        partial.replace(target)

    def others(self, model_version: str) -> list[dict]:
        """The other live workers' last snapshots of `model_version`."""
        own = file_of(self.folder, os.getpid()).name
        found = []
        for path in self.folder.glob(f"{PREFIX}*.json"):
            if path.name == own:
                continue
            try:
                snapshot = json.loads(path.read_text()).get(model_version)
            except (OSError, ValueError):  # removed meanwhile: that worker has just died
                continue
            if snapshot:
                found.append(snapshot)
        return found
