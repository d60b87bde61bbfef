"""mlflow_rest: credentials as the mlflow client sends them, and no host but the tracking server."""

import base64
import contextlib
import socket
import threading

import pytest

from catsdogs.registry.mlflow_rest import RegistryError, Rest, same_host
from catsdogs.registry.versions import RegisteredVersion
from tests.registry.fake_mlflow import FakeMlflow


@pytest.fixture
def fake():
    server = FakeMlflow()
    yield server
    server.close()


def authorization(fake: FakeMlflow, environ: dict) -> str | None:
    Rest(fake.url, environ=environ).call("GET", "registered-models/get", name="catsdogs")
    return fake.requests[-1][1].get("Authorization")


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, None),
        ({"MLFLOW_TRACKING_TOKEN": "t0ken"}, "Bearer t0ken"),
        (
            {"MLFLOW_TRACKING_USERNAME": "ci", "MLFLOW_TRACKING_PASSWORD": "s3cret"},
            "Basic " + base64.b64encode(b"ci:s3cret").decode(),
        ),
        ({"MLFLOW_TRACKING_USERNAME": "ci"}, None),  # a user without a password sends nothing
    ],
)
def test_credentials_come_from_the_mlflow_clients_variables(fake, environ, expected):
    assert authorization(fake, environ) == expected


def test_a_redirect_to_another_host_is_not_followed(fake):
    other = FakeMlflow()
    fake.redirect = other.url
    try:
        with pytest.raises(RegistryError, match="redirected to another host"):
            Rest(fake.url, environ={"MLFLOW_TRACKING_TOKEN": "t0ken"}).call(
                "GET", "registered-models/get", name="catsdogs"
            )
    finally:
        other.close()
    assert other.requests == []


@pytest.mark.parametrize(
    "other, same",
    [
        ("//mlflow:5000", True),
        ("//MLFLOW:5000/path", True),
        ("//user:pw@mlflow:5000", True),
        ("//mlflow", False),
        ("//mlflow:5001", False),
        ("//attacker:5000", False),
        ("http://mlflow.attacker:5000", False),
        ("//mlflow:port", False),
    ],
)
def test_same_host_means_the_same_name_and_port(other, same):
    assert same_host("http://mlflow:5000", other) is same


def test_https_and_its_default_port_are_one_host():
    assert same_host("https://mlflow.example", "//mlflow.example:443")


@pytest.mark.parametrize("number", ["../../victim/model", "1/2", "", "１", "3a", "-1"])
def test_only_mlflows_version_numbers_are_versions(number):
    with pytest.raises(RegistryError, match="not a number"):
        RegisteredVersion.from_json({"version": number})


def test_a_numeric_version_reads_as_its_digits():
    assert RegisteredVersion.from_json({"version": 7}).registry_version == "7"


class ClosingServer:
    """Answers each connection's first request with keep-alive, then closes that connection as
    its next request arrives, unanswered: a server whose idle timeout met the client's poll."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.listener.accept()
                threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket):
        with connection, connection.makefile("rb") as incoming:
            if self._read_request(incoming):
                connection.sendall(self.ANSWER)
                self._read_request(incoming)  # the next request on the kept-alive connection
            connection.shutdown(socket.SHUT_RDWR)

    def _read_request(self, incoming) -> bool:
        """Read one whole request (its body too: a body read later would pass for the next
        request); False when the client closed the connection instead."""
        line = incoming.readline()
        if not line:
            return False
        self.requests.append(line.rstrip())
        length = 0
        while (header := incoming.readline()) not in (b"\r\n", b""):
            name, _, value = header.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        incoming.read(length)
        return True

    def close(self):
        self.listener.close()


@pytest.fixture
def closing():
    server = ClosingServer()
    yield server
    server.close()


def test_a_read_on_a_connection_the_server_just_closed_is_asked_again(closing):
    rest = Rest(closing.url)
    assert rest.call("GET", "registered-models/get", name="catsdogs") == {}
    assert rest.call("GET", "registered-models/get", name="catsdogs") == {}
    # The second read went out on the kept-alive connection, was dropped, and was sent again.
    assert len(closing.requests) == 3


def test_a_write_on_a_connection_the_server_just_closed_is_not_sent_twice(closing):
    rest = Rest(closing.url)
    rest.call("POST", "registered-models/set-tag", name="catsdogs", key="k", value="v")
    with pytest.raises(RegistryError, match="cannot reach MLflow"):
        rest.call("POST", "registered-models/set-tag", name="catsdogs", key="k", value="v")
    assert len(closing.requests) == 2
