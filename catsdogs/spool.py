"""A durable local queue for rows the database could not take, replayed when it returns."""

import json
import os
import threading
from pathlib import Path


class Spool:
    """Append-only JSON lines, fsync'd on every write; replayed in order, then truncated."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, row: dict) -> None:
        line = json.dumps(row, default=str, separators=(",", ":")) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as spool:
            spool.write(line)
            spool.flush()
            os.fsync(spool.fileno())

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def _count(self) -> int:
        if not self.path.exists():
            return 0
        with open(self.path, encoding="utf-8") as spool:
            return sum(1 for line in spool if line.strip())

    def replay(self, write) -> int:
        """Pass each row to `write(row)` in order; keep the file if any write fails."""
        with self._lock:
            if not self.path.exists():
                return 0
            with open(self.path, encoding="utf-8") as spool:
                rows = [json.loads(line) for line in spool if line.strip()]
            write(rows)
            self.path.unlink()
            return len(rows)
