"""A durable local queue for rows the database could not take, replayed when it returns."""

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from catsdogs.errors import ServiceError

log = logging.getLogger(__name__)


class Spool:
    """Append-only JSON lines, fsync'd on every write; replayed in order, then truncated.

    The workers of `python wsgi.py --workers N` share one instance folder, hence one spool:
    an exclusive lock on a file beside it keeps any two processes from writing at once, and a
    replay from losing a row appended meanwhile.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This thread alone in this process, and this process alone on the spool."""
        with self._lock, open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield

    def append(self, row: dict) -> None:
        """Add `row` durably, or raise storage_full having written nothing (the disk is full)."""
        line = (json.dumps(row, default=str, separators=(",", ":")) + "\n").encode()
        try:
            with self._exclusive():
                self._write(line)
        except OSError as error:
            log.error("cannot spool prediction %s: %s", row.get("request_id"), error)
            raise ServiceError(
                "storage_full",
                "The service cannot record predictions right now (its disk is full), so "
                "this one was not kept. Try again later.",
            ) from None

    def _write(self, line: bytes) -> None:
        # Unbuffered: a write the disk refused is not tried again by close() behind our back.
        with open(self.path, "a+b", buffering=0) as spool:
            end = spool.seek(0, os.SEEK_END)
            if end and spool.seek(end - 1) >= 0 and spool.read(1) != b"\n":
                line = b"\n" + line  # after a torn write, start a fresh line
            try:
                view = memoryview(line)
                while view:
                    view = view[spool.write(view) :]
                os.fsync(spool.fileno())
            except OSError:
                # The rows spooled before stay whole: cut what this one left of itself.
                with contextlib.suppress(OSError):
                    os.ftruncate(spool.fileno(), end)
                raise

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def _count(self) -> int:
        if not self.path.exists():
            return 0
        with open(self.path, encoding="utf-8") as spool:
            return sum(1 for line in spool if line.strip())

    def replay(self, write: Callable[[list[dict]], object]) -> int:
        """Pass all rows, in order, to `write(rows)`; keep the file if that fails."""
        with self._exclusive():
            if not self.path.exists():
                return 0
            with open(self.path, encoding="utf-8", errors="replace") as spool:
                rows = [row for row in map(_parse, spool) if row is not None]
            if rows:
                write(rows)
            self.path.unlink()
            return len(rows)


def _parse(line: str) -> dict | None:
    """One row, or None for a blank or torn line (a crash mid-write must not block replay)."""
    if not line.strip():
        return None
    try:
        return json.loads(line)
    except ValueError:
        log.error("skipping a torn spool line: %.80r", line)
        return None
