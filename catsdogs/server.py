"""waitress settings for the served app: the one place where waitress is configured."""

import argparse
import ctypes
import errno
import gc
import os
import signal
import threading
import time

import waitress
from flask import Flask
from waitress.channel import HTTPChannel
from waitress import wasyncore
from waitress.server import BaseWSGIServer

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
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


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


def fix_mmap_threshold(threshold: int = 1024 * 1024) -> None:
    """Give blocks of a megabyte or more back to the system as soon as they are freed.

    glibc raises its mmap threshold each time such a block is freed, after which decoded
    photos come from the threads' heaps and stay in the process for good: each thread then holds
    the largest photo it ever decoded (docs/deploy.md, memory sizing). A fixed threshold stops
    that; elsewhere than glibc nothing changes.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_THRESHOLD, threshold)


def main(app: Flask, argv: list[str] | None = None) -> None:
    """Serve `app` with waitress on the host, port and threads given on the command line."""
    parser = argparse.ArgumentParser(prog="python wsgi.py", description="Serve catsdogs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=default_threads())
    args = parser.parse_args(argv)
    # What start-up built lives as long as the process: keep the collector from walking it.
    gc.freeze()
    fix_mmap_threshold()
    try:
        server = waitress.create_server(
            app,
            host=args.host,
            port=args.port,
            **settings(args.threads, app.config["MAX_CONTENT_LENGTH"]),
            # waitress 3 drops X-Forwarded-For by default: keep it for ProxyFix when a proxy
            # is trusted (catsdogs.security); with none, dropping it is what we want.
            clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXY_HOPS"],
        )
    except OSError as error:  # binding the socket: one line, not a traceback
        place = f"{args.host}:{args.port}"
        if error.errno == errno.EADDRINUSE:
            hint = "pick another port: --port, or PORT= for make run"
            parser.exit(2, f"cannot start: {place} is already in use; {hint}\n")
        parser.exit(2, f"cannot start: cannot listen on {place}: {error.strerror or error}\n")
    server.print_listen("Serving on http://{}:{}")
    signal.signal(signal.SIGTERM, lambda signum, frame: drain(server, DRAIN_SECONDS))
    server.run()
    server.task_dispatcher.shutdown()


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
