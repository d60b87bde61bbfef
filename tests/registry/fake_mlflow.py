"""A fake MLflow tracking server for answers a real one never gives: hostile versions and URIs.

It serves the handful of REST calls serving makes (the alias, the model, the download URI,
artifact listing and download) from a folder of files, and records every request it gets.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tests import serve_helpers

PORTS = (19500, 19999)  # beside the real MLflow servers' range (tests/registry/mlflow_server.py)
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


class FakeMlflow:
    """Answers `champion` with `version` (its tags `tags`) and serves `files` (a folder) as its
    artifacts at `artifact_uri`; `requests` holds (path, headers) of every request received;
    `redirect` sends every request elsewhere with a 302."""

    def __init__(self, version: str = "1", files: Path | None = None, tags: dict | None = None):
        self.version, self.files, self.tags = version, files, tags or {}
        self.artifact_uri = "mlflow-artifacts:/models/1"
        self.redirect: str | None = None
        self.requests: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append((self.path, dict(self.headers)))
                if fake.redirect:
                    return self.answer(302, b"", Location=fake.redirect + self.path)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path.startswith(ARTIFACTS):
                    return self.artifact(unquote(parts.path[len(ARTIFACTS) :]).strip("/"), query)
                endpoint = parts.path.rsplit("/mlflow/", 1)[-1]
                if endpoint == "registered-models/alias" and query.get("alias") != "champion":
                    missing = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no alias"}
                    return self.answer(404, json.dumps(missing).encode())
                self.json(fake.answer(endpoint))

            def artifact(self, path: str, query: dict):
                if not path:  # a listing: the files of the folder `query["path"]`
                    folder = (fake.files or Path("/nonexistent")) / within(query["path"])
                    names = sorted(p.name for p in folder.glob("*") if p.is_file())
                    return self.json({"files": [{"path": n, "is_dir": False} for n in names]})
                self.answer(200, (fake.files / within(path)).read_bytes())

            def json(self, body: dict):
                self.answer(200, json.dumps(body).encode(), **{"Content-Type": "application/json"})

            def answer(self, status: int, body: bytes, **headers: str):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", serve_helpers.free_port(*PORTS)), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def answer(self, endpoint: str) -> dict:
        version = {
            "name": "catsdogs",
            "version": self.version,
            "status": "READY",
            "tags": [{"key": k, "value": v} for k, v in self.tags.items()],
        }
        return {
            "registered-models/alias": {"model_version": version},
            "registered-models/get": {
                "registered_model": {
                    "name": "catsdogs",
                    "aliases": [{"alias": "champion", "version": self.version}],
                }
            },
            "model-versions/get-download-uri": {"artifact_uri": self.artifact_uri},
        }.get(endpoint, {})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def within(path: str) -> str:
    """An artifact path relative to the version's folder, models/1."""
    return path.removeprefix("models/1").strip("/")
