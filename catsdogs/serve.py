"""`python -m catsdogs.serve`: the app behind waitress, with settings that fit the machine.

The one place where waitress is configured: `make run`, the Docker image, `make bench` and
`make soak` all start the service through it.
"""

import argparse
import gc
import os

from waitress import serve

from catsdogs import create_app


def default_threads() -> int:
    """Two waitress threads per core the process may use.

    Each request runs the model on one ONNX Runtime thread. With one waitress thread per core, a
    core idles whenever its thread waits on the database commit or for the GIL. At 8 clients on
    2 cores, 4 threads against 2: 7-13% more predictions per second where the model takes 10 ms;
    where it takes 4.9 ms, the same rate (221-227 against 224 per second), the machine 91%
    busy against 85%, and 0.5 ms more CPU per request.
    """
    return 2 * len(os.sched_getaffinity(0))


def settings(threads: int) -> dict:
    """waitress adjustments besides host and port."""
    return {
        "threads": threads,
        "ident": "catsdogs",  # the Server header names no version
        # Read uploads 64 KB at a time, not 8 KB: a 3 MB photo takes 48 turns of waitress' loop
        # instead of 380 (3 to 5 ms less end to end for a 12 MP JPEG). Not more: with 256 KB
        # reads, small requests cost waitress 0.1 ms more CPU each.
        "recv_bytes": 64 * 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m catsdogs.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=default_threads())
    args = parser.parse_args(argv)
    app = create_app()
    # What start-up built (Flask, SQLAlchemy, the model's Python objects) lives as long as the
    # process: spare the collector from walking it (a 70 ms pause every 1,300 requests or so).
    gc.freeze()
    serve(app, host=args.host, port=args.port, **settings(args.threads))


if __name__ == "__main__":
    main()
