"""A real server and a real browser for the end-to-end tests: waitress in a thread, Chromium."""

import contextlib
import random
import socket
import threading
from pathlib import Path

from waitress import create_server, wasyncore

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "vendor" / "axe-core-4.11.0.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CSP = "default-src 'self'"  # what production will send: no inline script or style at all
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(n => n.target.join(" "))}));
}"""


def free_port(low: int = 17000, high: int = 17999) -> int:
    """A loopback port in [low, high] that nothing listens on now."""
    for port in random.sample(range(low, high + 1), 50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port between {low} and {high}")


def add_csp(app) -> None:
    @app.after_request
    def content_security_policy(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


@contextlib.contextmanager
def serve(app):
    """Serve `app` with waitress on a free loopback port; yield its base URL."""
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Close Chromium's keep-alive connections too: waitress' loop ends only when none is left.
        wasyncore.close_all(server._map)
        server.task_dispatcher.shutdown()
        thread.join(timeout=5)
