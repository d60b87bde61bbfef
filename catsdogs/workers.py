"""Several serving processes on one port: the parent binds the socket and forks the workers.

Each worker builds the app after the fork (its own model session, database pool, limiter and
threads) and accepts on the shared socket. The parent serves nothing: it replaces a worker that
dies, and on SIGTERM or SIGINT it drains every worker and exits 0 (docs/deploy.md, "Workers").
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import multiprocess

from catsdogs.monitoring import shared_windows

log = logging.getLogger("catsdogs.workers")
# The worker's index (0 to WORKERS-1) in its environment; a replacement keeps the index.
WORKER_INDEX = "WORKER_INDEX"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a child gets when its parent dies
POLL_SECONDS = 0.2


def listen(host: str, port: int) -> socket.socket:
    """The listening socket all workers share (OSError when it cannot bind)."""
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    # waitress' own backlog; SO_REUSEADDR as waitress sets it, so a restart binds at once.
    return socket.create_server(address, family=family, backlog=1024)


@dataclass
class Worker:
    index: int
    ready: int  # the read end of a pipe the worker writes one byte to once it serves


class Supervisor:
    """Fork `count` workers running `serve(index, ready)`, keep them running, stop them all."""

    def __init__(self, count: int, serve: Callable[[int, Callable[[], None]], None],
                 stop_seconds: float):  # fmt: skip
        self.count, self.serve, self.stop_seconds = count, serve, stop_seconds
        self.workers: dict[int, Worker] = {}
        self.stopping = False
        self.status = 0

    def run(self, sock: socket.socket) -> int:
        """Serve until told to stop; the exit status: 0, or a worker's that could not start."""
        metrics = metrics_folder()
        os.environ["WORKERS"] = str(self.count)  # what each app's configuration reads
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            for index in range(self.count):
                self._fork(index)
            while not self.stopping:
                self._reap(replace=True)
                time.sleep(POLL_SECONDS)
            # Closed here too, so that new connections are refused as soon as the workers
            # close theirs (a balancer retries them elsewhere), as with a single process.
            sock.close()
            self._stop_all()
        finally:
            if metrics is not None:
                shutil.rmtree(metrics, ignore_errors=True)
        return self.status

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _fork(self, index: int) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            self._child(index, write)
        os.close(write)
        self.workers[pid] = Worker(index, read)

    def _child(self, index: int, ready: int) -> None:
        """Run in the forked worker; never returns."""
        status = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # until the server drains on it
            # Ctrl-C reaches the whole process group: the parent's SIGTERM drains the workers.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            die_with_parent()
            os.environ[WORKER_INDEX] = str(index)
            self.serve(index, lambda: tell_ready(ready))
            status = 0
        except SystemExit as error:
            status = error.code if isinstance(error.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)

    def _reap(self, replace: bool) -> None:
        while self.workers:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid)
            served = os.read(worker.ready, 1) == b"1"  # its write end is closed: no blocking
            os.close(worker.ready)
            forget(pid)
            if not replace:
                continue
            code = os.waitstatus_to_exitcode(wait_status)
            if not served:  # it failed building the app: another would fail alike
                log.critical(
                    "worker %s (pid %s) exited with %s before serving: stopping",
                    worker.index,
                    pid,
                    code,
                )
                self.status, self.stopping = code or 1, True
                return
            log.error(
                "worker %s (pid %s) exited with %s: starting another", worker.index, pid, code
            )
            self._fork(worker.index)

    def _stop_all(self) -> None:
        """SIGTERM every worker (each drains its requests), then wait; SIGKILL what is left."""
        for pid in self.workers:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_seconds
        while self.workers and time.monotonic() < deadline:
            self._reap(replace=False)
            time.sleep(POLL_SECONDS / 4)
        for pid in list(self.workers):
            log.error("worker pid %s still busy after %g s: killed", pid, self.stop_seconds)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(self.workers.pop(pid).ready)
            forget(pid)


def forget(pid: int) -> None:
    """Drop a dead worker's gauges and model health windows; its counters still count."""
    multiprocess.mark_process_dead(pid)
    shared_windows.file_of(Path(os.environ[MULTIPROC_DIR]), pid).unlink(missing_ok=True)


def metrics_folder() -> Path | None:
    """Make PROMETHEUS_MULTIPROC_DIR empty (a temporary folder unless set), so that every
    worker's metrics go to files that /metrics merges; the folder to remove at exit, if ours."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():  # a previous run's counts are not this run's
            if stale.is_file():
                stale.unlink()
        return None
    folder = Path(tempfile.mkdtemp(prefix="catsdogs-metrics-"))
    os.environ[MULTIPROC_DIR] = str(folder)
    return folder


def tell_ready(pipe: int) -> None:
    """Tell the parent that this worker serves (a death later is replaced, not fatal)."""
    os.write(pipe, b"1")


def die_with_parent() -> None:
    """Have Linux SIGTERM this worker if the parent dies (a drain, not an orphan serving on)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
