"""mlflow_rest: credentials as the mlflow client sends them, and no host but the tracking server."""

import base64

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
