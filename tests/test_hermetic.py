"""Both test tiers are hermetic: what the caller's shell exports reaches no app the tests build
(tests/conftest.py `hermetic`), so `make up` users and CI get the same results."""

import os
import subprocess
import sys

from catsdogs import create_app
from tests.conftest import APP_VARIABLES
from tests.helpers import ROOT, close_app

# What a user of `make up` or of the README may well have exported.
EXPORTED = {
    "API_TOKEN": "callers-token-0123456789",
    "API_TOKENS": "ci:callers-other-token",
    "RATELIMIT_ENABLED": "false",
    "DATABASE_URL": "postgresql+psycopg2://caller:secret@db.invalid:5432/catsdogs",
    "SECRET_KEY": "callers-secret",
    "LOG_FORMAT": "json",
    "MLFLOW_TRACKING_URI": "http://mlflow.invalid:5000",
    "INSTANCE_PATH": "/nonexistent/callers-instance",
    "FLASK_DEBUG": "1",
}


def test_no_setting_of_the_app_or_flask_is_left_for_the_servers_the_tests_start():
    # waitress, replicas, Compose and MLflow are started with a copy of os.environ.
    assert APP_VARIABLES >= {"API_TOKEN", "RATELIMIT_ENABLED", "DATABASE_URL", "SECRET_KEY"}
    left = [name for name in os.environ if name in APP_VARIABLES or name.startswith("FLASK_")]
    assert left == ["FLASK_SKIP_DOTENV"] and os.environ["FLASK_SKIP_DOTENV"] == "1"


def test_a_dotenv_in_the_working_directory_is_not_read(tmp_path, monkeypatch, classifier):
    # `make up` writes .env into the checkout, where the tests start flask and waitress.
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in EXPORTED.items()))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_CHECK_SECONDS", "0")
    app = create_app(classifier=classifier)
    try:
        assert app.config["API_TOKENS"] == {} and app.config["RATELIMIT_ENABLED"] is True
        assert app.config["API_TOKEN_SOURCE"] is None
    finally:
        close_app(app)


def test_an_app_built_from_the_environment_gets_the_defaults(environment, classifier):
    app = create_app(classifier=classifier)
    try:
        assert app.config["API_TOKENS"] == {} and app.config["RATELIMIT_ENABLED"] is True
        assert app.config["SQLALCHEMY_DATABASE_URI"] == (
            f"sqlite:///{environment / 'instance' / 'catsdogs.sqlite'}"
        )
        assert app.config["SECRET_KEY"] != EXPORTED["SECRET_KEY"]
        assert app.config["LOG_FORMAT"] == "text" and app.config["MLFLOW_TRACKING_URI"] is None
    finally:
        close_app(app)


def test_exported_settings_change_no_result():
    """The tests above, in a pytest started from a shell that exports the caller's settings."""
    command = [sys.executable, "-m", "pytest", __file__, "-k", "not change_no_result"]
    result = subprocess.run(
        [*command, "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist"],
        env={**os.environ, **EXPORTED},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout
