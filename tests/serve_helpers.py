"""Serve an app with waitress in a thread on a loopback port of the hardening range."""

import contextlib
import threading

from waitress import create_server, wasyncore

from tests.browser_helpers import free_port

PORTS = (16000, 16999)  # ours; the browser tests use 17000-17999


@contextlib.contextmanager
def serve(app, threads: int = 4, **adjustments):
    """Yield the base URL of `app` served by waitress, with waitress' default `ident`."""
    server = create_server(
        app, host="127.0.0.1", port=free_port(*PORTS), threads=threads, **adjustments
    )
    thread = threading.Thread(target=server.run, name="waitress-hardening", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close keep-alive connections too (the loop ends only when none is left), and do it
        # in the loop's own thread: closing sockets under its select() fails with EBADF.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
