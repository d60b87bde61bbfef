"""The registry client against a real MLflow server (tests/registry/mlflow_server.py)."""

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.registry.client import CARD, ONNX, REPORT, Registry, RegistryError
from tests import serve_helpers

PACKAGED = {ONNX: SHIPPED_MODEL, CARD: SHIPPED_MODEL.with_suffix(".json"),
            REPORT: SHIPPED_MODEL.with_suffix(".md")}  # fmt: skip
CARD_DATA = json.loads(PACKAGED[CARD].read_text())


def register_packaged(registry: Registry, **tags):
    return registry.register(PACKAGED[ONNX], PACKAGED[CARD], PACKAGED[REPORT], tags=tags)


def test_register_records_the_card_version_and_the_file_sha256(registry):
    version = register_packaged(registry, origin="test")
    assert version.registry_version == "1"
    assert version.status == "READY"
    assert version.model_version == CARD_DATA["version"] == "1.1.0+3ecc1288"
    assert version.sha256 == CARD_DATA["sha256"]
    assert version.tags["origin"] == "test"
    assert version.run_id and version.source
    assert version.created is not None and abs(time.time() - version.created.timestamp()) < 300
    assert registry.get("1") == version


def test_alias_names_the_version_until_it_is_deleted(registry):
    register_packaged(registry)
    second = register_packaged(registry)
    assert registry.by_alias("champion") is None
    registry.set_alias("champion", second.registry_version)
    champion = registry.by_alias("champion")
    assert champion.registry_version == "2" and champion.aliases == ("champion",)
    registry.delete_alias("champion")
    assert registry.by_alias("champion") is None
    registry.delete_alias("champion")  # already gone: nothing to do, no error


def test_download_writes_the_files_the_loader_reads(registry, tmp_path):
    version = register_packaged(registry)
    folder = registry.download(version, tmp_path / "cache" / version.registry_version)
    for name, original in PACKAGED.items():
        assert (folder / name).read_bytes() == original.read_bytes(), name
    assert sorted(p.name for p in folder.iterdir()) == sorted(PACKAGED)
    assert ModelCard.for_model(folder / ONNX).model_version == CARD_DATA["version"]


def test_download_without_a_report_leaves_no_stale_one(registry, tmp_path):
    version = registry.register(PACKAGED[ONNX], PACKAGED[CARD])
    (tmp_path / REPORT).write_text("another version's report")
    registry.download(version, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ONNX, CARD])


def test_versions_are_newest_first_with_their_aliases(registry):
    assert registry.versions() == []
    for _ in range(3):
        register_packaged(registry)
    registry.set_alias("champion", "2")
    registry.set_alias("challenger", "3")
    found = registry.versions()
    assert [v.registry_version for v in found] == ["3", "2", "1"]
    assert [v.aliases for v in found] == [("challenger",), ("champion",), ()]
    assert registry.aliases() == {"champion": "2", "challenger": "3"}


def test_tags_on_versions_and_on_the_model(registry):
    register_packaged(registry)
    registry.set_tag("1", "promoted_by", "alice")
    registry.set_model_tag("champion_history", "1")
    assert registry.get("1").tags["promoted_by"] == "alice"
    assert registry.model_tags() == {"champion_history": "1"}


def test_a_run_logs_params_metrics_and_tags_beyond_one_call(registry):
    run_id = registry.runs.start("test run")
    metrics = {f"m{i}": i / 10 for i in range(1200)}  # more than log-batch takes at once
    metrics["curve"] = [0.5, 0.75, 0.875]
    registry.runs.log_batch(run_id, params={"seed": 1337}, metrics=metrics, tags={"k": "v"})
    registry.runs.end(run_id)
    run = registry.rest.call("GET", "runs/get", run_id=run_id)["run"]
    assert run["info"]["status"] == "FINISHED"
    assert len(run["data"]["metrics"]) == 1201
    assert {"key": "m7", "value": 0.7} in [
        {"key": m["key"], "value": m["value"]} for m in run["data"]["metrics"]
    ]
    history = registry.rest.call("GET", "metrics/get-history", run_id=run_id, metric_key="curve")[
        "metrics"
    ]
    assert [(m["step"], m["value"]) for m in history] == [(0, 0.5), (1, 0.75), (2, 0.875)]
    assert {"key": "seed", "value": "1337"} in run["data"]["params"]
    assert {"key": "k", "value": "v"} in run["data"]["tags"]


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.set_alias("champion", "7"),
        lambda r: r.set_tag("7", "k", "v"),
    ],
    ids=["set_alias", "set_tag"],
)
def test_an_unknown_version_is_a_registry_error(registry, call):
    register_packaged(registry)
    with pytest.raises(RegistryError) as caught:
        call(registry)
    assert caught.value.status == 404 and caught.value.code == "RESOURCE_DOES_NOT_EXIST"
    assert "HTTP 404" in str(caught.value)


def test_an_unknown_version_is_named_as_such_not_in_mlflow_s_words(registry):
    register_packaged(registry)
    with pytest.raises(RegistryError) as caught:
        registry.get("7")
    assert caught.value.status == 404 and caught.value.code == "RESOURCE_DOES_NOT_EXIST"
    assert str(caught.value) == f"no version 7 of {registry.name}"


def test_an_unreachable_server_fails_at_once():
    registry = Registry(f"http://127.0.0.1:{serve_helpers.free_port()}", timeout=2)
    started = time.monotonic()
    with pytest.raises(RegistryError, match="cannot reach MLflow"):
        registry.by_alias("champion")
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        registry = Registry(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(RegistryError, match="did not answer"):
            registry.versions()
        assert time.monotonic() - started < 3


@contextlib.contextmanager
def answering(status: int, body: bytes, content_type: str):
    """A server that answers every request with `status` and `body`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_DELETE = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", serve_helpers.free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "content_type", "message"),
    [
        (404, b"<h1>Not Found</h1>", "text/html", "HTTP 404"),  # a proxy's, not MLflow's
        (
            500,
            b'{"error_code": "INTERNAL_ERROR", "message": "boom"}',
            "application/json",
            "INTERNAL_ERROR: boom",
        ),  # fmt: skip
        (502, b"Bad Gateway", "text/plain", "HTTP 502"),
        (200, b"<html>a login page</html>", "text/html", "not JSON"),
        (200, b"[1, 2]", "application/json", "list"),
        (200, b'{"model_version": {"no": "version"}}', "application/json", "unreadably"),
    ],
)
def test_http_errors_and_malformed_answers_are_registry_errors(status, body, content_type, message):
    with answering(status, body, content_type) as url:
        with pytest.raises(RegistryError, match=message):
            Registry(url).by_alias("champion")  # never mistaken for "no champion"


def test_the_password_of_the_tracking_uri_is_never_shown():
    port = serve_helpers.free_port()
    with pytest.raises(RegistryError) as caught:
        Registry(f"http://bob:s3cret@127.0.0.1:{port}").get("1")
    assert "s3cret" not in str(caught.value) and "bob:***@127.0.0.1" in str(caught.value)
