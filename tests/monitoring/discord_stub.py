"""A local stand-in for a Discord webhook: records what is posted, answers as scripted."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests import serve_helpers

PORTS = (18000, 18999)  # the monitoring tests' port range


def free_port() -> int:
    """A loopback port of the monitoring tests' range that nothing is bound to."""
    return serve_helpers.free_port(*PORTS)


class DiscordStub:
    """POSTs are kept in `posts` as (monotonic time, JSON body); `script` holds the answers
    to give first, as (status, headers, delay in seconds); after them, 204 like Discord."""

    def __init__(self):
        self.posts: list[tuple[float, dict]] = []
        self.script: list[tuple[int, dict, float]] = []
        self.received = threading.Condition()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.received:
                    stub.posts.append((time.monotonic(), body))
                    status, headers, delay = stub.script.pop(0) if stub.script else (204, {}, 0)
                    stub.received.notify_all()
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first: that is what a timeout test wants

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/webhooks/1/token"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float) -> list[dict]:
        """Wait until `count` posts arrived; return all the bodies."""
        with self.received:
            self.received.wait_for(lambda: len(self.posts) >= count, timeout)
            return [body for _, body in self.posts]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
