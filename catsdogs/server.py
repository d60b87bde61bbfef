"""waitress settings for the served app: the one place where waitress is configured."""

import argparse
import errno
import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import NoReturn

import waitress
from dotenv import load_dotenv
from flask import Flask
from prometheus_client import values
from waitress.channel import HTTPChannel
from waitress import wasyncore
from waitress.server import BaseWSGIServer

from catsdogs import config, logs, workers
from catsdogs.serving import heap

log = logging.getLogger("catsdogs")

# Seconds a SIGTERM waits for requests in flight before closing what is left; below the 30 s a
# container engine or Kubernetes waits before it kills.
DRAIN_SECONDS = 20
# Room for the multipart framing and the form's few fields around the largest photo allowed.
BODY_OVERHEAD = 64 * 1024
# A connection that sends and receives nothing for this long, with no request waiting for its
# answer, is closed (checked every CLEANUP_SECONDS): half-open or idle sockets cannot hold the
# server's connection slots for waitress' default two minutes.
CHANNEL_TIMEOUT_SECONDS = 15
CLEANUP_SECONDS = 5
# Far more slots than threads (idle keep-alive connections are cheap), yet well below the 1,024
# file descriptors that waitress' select() loop and a container's default ulimit allow.
CONNECTION_LIMIT = 500


def default_threads() -> int:
    """Two waitress threads per core this process may use.

    Each request runs the model on one thread; a second thread per core keeps the core busy while
    the first waits on the database or the GIL (docs/performance.md).
    """
    return 2 * len(os.sched_getaffinity(0))


def settings(threads: int, max_upload_bytes: int) -> dict:
    """waitress adjustments besides host and port (docs/deploy.md, "Exposing the service")."""
    return {
        "threads": threads,
        "ident": "catsdogs",  # the Server header names no version
        # Uploads are photos of megabytes: read them in 64 KB steps, not waitress' 8 KB.
        "recv_bytes": 64 * 1024,
        # A body announced larger is refused (413) before waitress spools it to a temporary
        # file: its default, 1 GiB, filled the disk that also holds the spool.
        "max_request_body_size": max_upload_bytes + BODY_OVERHEAD,
        "channel_timeout": CHANNEL_TIMEOUT_SECONDS,
        "cleanup_interval": CLEANUP_SECONDS,
        "connection_limit": CONNECTION_LIMIT,
    }


def default_workers() -> str:
    """WORKERS from the environment, else 1: several workers need a shared rate-limit storage
    (Redis), which a plain install has not (docs/deploy.md, "Workers")."""
    # A string: argparse checks a default as it checks the command line.
    return os.environ.get("WORKERS") or "1"


def threads_per_worker(count: int) -> int:
    """Two threads per core shared among the workers, and never fewer than two each: a worker
    whose only thread waits on the database would leave its core idle."""
    return max(2, default_threads() // count)


def main(create_app: Callable[[], Flask], argv: list[str] | None = None) -> None:
    """Serve the app of `create_app` with waitress on the host, port, workers and threads given
    on the command line: one process, or a parent and WORKERS forked serving processes."""
    if config.dotenv_file():  # WORKERS may be there, as the app's other settings
        load_dotenv(config.dotenv_file(), override=False)
    parser = argparse.ArgumentParser(prog="python wsgi.py", description="Serve catsdogs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=positive, default=default_workers())
    parser.add_argument("--threads", type=positive, default=None, help="per worker")
    args = parser.parse_args(argv)
    if args.workers == 1:
        serve(create_app(), args, parser)
        return
    if setting("RATELIMIT_STORAGE_URI").startswith("memory://"):
        # Each worker would count apart: a client would get WORKERS times its limits.
        parser.exit(
            2,
            f"cannot start: {args.workers} workers need shared rate limits; set "
            "RATELIMIT_STORAGE_URI (e.g. redis://127.0.0.1:6379/0), or WORKERS=1\n",
        )
    args.threads = args.threads or threads_per_worker(args.workers)
    try:
        sock = workers.listen(args.host, args.port)
    except OSError as error:
        cannot_listen(parser, args, error)
    # The parent's lines as the workers' (they inherit this set-up): LOG_LEVEL, LOG_FORMAT.
    logs.configure(setting("LOG_LEVEL").upper(), setting("LOG_FORMAT").lower())
    # The URL as one argument: the log's filter zeroes the host part of a bare address.
    url = f"http://{args.host}:{args.port}"
    log.info("Serving on %s with %s workers", url, args.workers)

    def serve_worker(index: int, ready: Callable[[], None]) -> None:
        # Metrics made from here on write to PROMETHEUS_MULTIPROC_DIR, which the parent just
        # set: prometheus_client chose its value class when it was imported, before.
        values.ValueClass = values.get_value_class()
        serve(create_app(), args, parser, sock, ready)

    sys.exit(workers.Supervisor(args.workers, serve_worker, DRAIN_SECONDS + 5).run(sock))


def setting(name: str) -> str:
    return os.environ.get(name) or str(config.DEFAULTS[name])


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return number


def serve(
    app: Flask,
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    sock: socket.socket | None = None,
    ready: Callable[[], None] = lambda: None,
) -> None:
    """Serve `app` in this process on `sock` (a worker's), else on a socket bound here."""
    # What start-up built lives as long as the process: keep the collector from walking it.
    gc.freeze()
    heap.fix_mmap_threshold()
    heap.release_freed_memory()  # what building the app freed
    place = {"sockets": [sock]} if sock else {"host": args.host, "port": args.port}
    try:
        server = waitress.create_server(
            app,
            **place,
            **settings(args.threads or default_threads(), app.config["MAX_CONTENT_LENGTH"]),
            # waitress 3 drops X-Forwarded-For by default: keep it for ProxyFix when a proxy
            # is trusted (catsdogs.security); with none, dropping it is what we want.
            clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXY_HOPS"],
        )
    except OSError as error:  # binding the socket: one line, not a traceback
        cannot_listen(parser, args, error)
    if sock is None:
        server.print_listen("Serving on http://{}:{}")
    signal.signal(signal.SIGTERM, lambda signum, frame: drain(server, DRAIN_SECONDS))
    ready()
    server.run()
    server.task_dispatcher.shutdown()


def cannot_listen(
    parser: argparse.ArgumentParser, args: argparse.Namespace, error: OSError
) -> NoReturn:
    """Exit with one line that says why the socket could not be bound."""
    place = f"{args.host}:{args.port}"
    if error.errno == errno.EADDRINUSE:
        hint = "pick another port: --port, or PORT= for make run"
        parser.exit(2, f"cannot start: {place} is already in use; {hint}\n")
    parser.exit(2, f"cannot start: cannot listen on {place}: {error.strerror or error}\n")


def drain(server: BaseWSGIServer, seconds: float) -> None:
    """Stop listening now, finish the requests in flight, then end server.run().

    A container or pod is stopped with SIGTERM: new connections are then refused (a balancer
    retries them elsewhere) while every request already received gets its answer. The sockets
    are closed in the loop's own thread (closing them under its select() fails with EBADF).
    """
    server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))
    deadline = time.monotonic() + seconds
    finished = threading.Event()

    def finish_when_idle() -> None:
        if busy(server) and time.monotonic() < deadline:
            return
        server.trigger.del_channel()  # the loop ends when its map is empty
        for channel in list(server._map.values()):
            channel.close()
        server._map.clear()
        finished.set()

    def watch() -> None:
        while not finished.wait(0.1):
            server.trigger.pull_trigger(finish_when_idle)

    threading.Thread(target=watch, name="drain", daemon=True).start()


def busy(server: BaseWSGIServer) -> bool:
    """Whether a connection is sending a request, waiting for its answer or still receiving it."""
    return any(
        channel.request is not None or channel.requests or channel.total_outbufs_len
        for channel in server._map.values()
        if isinstance(channel, HTTPChannel)
    )
