"""waitress settings for the served app: the one place where waitress is configured."""

import argparse
import errno
import gc
import os

import waitress


def default_threads() -> int:
    """Two waitress threads per core this process may use.

    Each request runs the model on one thread; a second thread per core keeps the core busy while
    the first waits on the database or the GIL (docs/performance.md).
    """
    return 2 * len(os.sched_getaffinity(0))


def settings(threads: int) -> dict:
    """waitress adjustments besides host and port."""
    return {
        "threads": threads,
        "ident": "catsdogs",  # the Server header names no version
        # Uploads are photos of megabytes: read them in 64 KB steps, not waitress' 8 KB.
        "recv_bytes": 64 * 1024,
    }


def main(app, argv: list[str] | None = None) -> None:
    """Serve `app` with waitress on the host, port and threads given on the command line."""
    parser = argparse.ArgumentParser(prog="python wsgi.py", description="Serve catsdogs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=default_threads())
    args = parser.parse_args(argv)
    # What start-up built lives as long as the process: keep the collector from walking it.
    gc.freeze()
    try:
        server = waitress.create_server(
            app, host=args.host, port=args.port, **settings(args.threads)
        )
    except OSError as error:  # binding the socket: one line, not a traceback
        place = f"{args.host}:{args.port}"
        if error.errno == errno.EADDRINUSE:
            hint = "pick another port: --port, or PORT= for make run"
            parser.exit(2, f"cannot start: {place} is already in use; {hint}\n")
        parser.exit(2, f"cannot start: cannot listen on {place}: {error.strerror or error}\n")
    server.print_listen("Serving on http://{}:{}")
    server.run()
