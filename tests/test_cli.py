"""Flask CLI: init-db, api-token and the retention purge."""

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from catsdogs import create_app
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction, utc_now
from tests.helpers import ROOT, close_app
from tests.serve_helpers import free_port


def test_init_db_is_idempotent(runner, app):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "up to date" in result.output
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("predictions_feedback")}
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("predictions_feedback")}
    assert {
        "id",
        "created_at",
        "inference_time_ms",
        "prediction_result",
        "proba_cat",
        "proba_dog",
        "rgpd_consent",
        "filename",
        "user_feedback",
        "user_comment",
        "model_version",
    } <= columns
    assert {
        "ix_predictions_feedback_created_at",
        "ix_predictions_feedback_prediction_result",
    } <= indexes


def test_init_db_says_in_one_line_that_the_database_is_unreachable(tmp_path):
    port = free_port()  # nothing listens there
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://catsdogs:s3cret@127.0.0.1:{port}/catsdogs",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_CHECK_SECONDS": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "catsdogs", "init-db"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: cannot connect to the database at "
        f"postgresql+psycopg2://catsdogs:***@127.0.0.1:{port}/catsdogs: Connection refused"
    )
    assert "s3cret" not in result.stdout + result.stderr


def test_purge_says_in_one_line_that_the_database_is_unreachable(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 1
    assert result.output.strip().endswith("db.sqlite: unable to open database file")
    assert result.output.count("\n") == 1


def test_migrations_match_the_models(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_a_serving_app_leaves_alembic_unloaded_and_flask_db_still_migrates(tmp_path):
    env = {**os.environ, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite'}"
    served = "import sys, wsgi; print(sorted({'alembic', 'flask_migrate'} & set(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", served], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert loaded.stdout.strip() == "[]", loaded.stderr
    flask = [sys.executable, "-m", "flask", "--app", "catsdogs", "db"]
    upgrade = subprocess.run([*flask, "upgrade"], cwd=ROOT, env=env, capture_output=True)
    assert upgrade.returncode == 0, upgrade.stderr
    current = subprocess.run([*flask, "current"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "(head)" in current.stdout, current.stdout + current.stderr


def test_api_token_is_generated_once_and_then_used(make_app):
    app = make_app(API_TOKENS={})
    first = app.test_cli_runner().invoke(args=["api-token"])
    token = first.output.strip().splitlines()[-1].strip()
    assert "Generated an API token, kept in" in first.output and len(token) >= 32
    assert "only this once" not in first.output  # the file keeps it, the README says so
    again = make_app(API_TOKENS={})
    second = again.test_cli_runner().invoke(args=["api-token"]).output
    assert token not in second and f"API token from {again.instance_path}/api_token" in second
    shown = again.test_cli_runner().invoke(args=["api-token", "--show"]).output
    assert shown == f"{token}\n"
    response = again.test_client().get(
        "/api/statistics", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def make_up_env(folder: Path, token: str) -> None:
    """Write .env as `make up` does: .env.example with its empty secrets filled."""
    text = (ROOT / ".env.example").read_text()
    for key in ("POSTGRES_PASSWORD", "SECRET_KEY", "API_TOKEN", "GRAFANA_ADMIN_PASSWORD"):
        text = text.replace(f"\n{key}=\n", f"\n{key}={token if key == 'API_TOKEN' else 'x1'}\n")
    (folder / ".env").write_text(text)


def test_after_make_up_the_readme_command_gives_the_token_the_api_accepts(
    environment, classifier, caplog
):
    (environment / "instance").mkdir()
    (environment / "instance" / "api_token").write_text("stale-token-of-an-earlier-make-run")
    make_up_env(environment, "0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    readme = (ROOT / "README.md").read_text()
    assert "TOKEN=$(.venv/bin/flask --app catsdogs api-token --show)" in readme
    flask = [sys.executable, "-m", "flask", "--app", "catsdogs"]
    subprocess.run([*flask, "init-db"], check=True, capture_output=True)  # as `make run` does
    shown = subprocess.run([*flask, "api-token", "--show"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "0a1b2c3d4e5f60718293a4b5c6d7e8f9\n"
    told = subprocess.run([*flask, "api-token"], capture_output=True, text=True).stdout
    assert told.startswith("API token from .env (API_TOKEN);")
    assert "api_token is not used: .env (API_TOKEN) comes first." in told
    assert "0a1b2c3d" not in told
    with caplog.at_level(logging.INFO, logger="catsdogs"):
        app = create_app(classifier=classifier)
    assert "API token from .env (API_TOKEN)" in caplog.messages
    assert "0a1b2c3d" not in caplog.text
    response = app.test_client().get(
        "/api/statistics", headers={"Authorization": f"Bearer {shown.stdout.strip()}"}
    )
    assert response.status_code == 200
    close_app(app)


def test_without_any_token_start_up_says_so(environment, classifier, caplog):
    with caplog.at_level(logging.INFO, logger="catsdogs"):
        close_app(create_app(classifier=classifier))
    assert any(m.startswith("API token: none configured") for m in caplog.messages)


@pytest.mark.parametrize(
    "tokens, shown",
    [
        ({"ci": "abc"}, "abc"),
        ({"ci": "abc", "default": "xyz"}, "xyz"),
        ({"a": "1", "b": "2"}, None),
    ],
)
def test_show_prints_the_default_or_only_token(make_app, tokens, shown):
    result = make_app(API_TOKENS=tokens).test_cli_runner().invoke(args=["api-token", "--show"])
    if shown:
        assert (result.exit_code, result.output) == (0, f"{shown}\n")
    else:
        assert result.exit_code == 1 and "API_TOKENS names a, b and no API_TOKEN" in result.output


def add_prediction(age: datetime.timedelta, consent=True) -> None:
    db.session.add(
        Prediction(
            created_at=utc_now() - age,
            inference_time_ms=5.0,
            prediction_result="cat",
            proba_cat=0.9,
            proba_dog=0.1,
            model_version="test",
            rgpd_consent=consent,
            filename="mine.jpg" if consent else None,
            user_feedback=1 if consent else None,
            user_comment="nice" if consent else None,
        )
    )
    db.session.commit()


def test_purge_clears_personal_data_past_retention(app, runner):
    with app.app_context():
        add_prediction(datetime.timedelta(days=40))
        add_prediction(datetime.timedelta(days=2))
    result = runner.invoke(args=["purge", "--older-than", "30d"])
    assert result.exit_code == 0 and "from 1 predictions" in result.output
    with app.app_context():
        old, recent = db.session.scalars(select(Prediction).order_by(Prediction.created_at))
        assert (old.filename, old.user_comment, old.user_feedback) == (None, None, 1)
        assert (recent.filename, recent.user_comment) == ("mine.jpg", "nice")


def test_purge_defaults_to_retention_days(make_app):
    app = make_app(RETENTION_DAYS=10)
    with app.app_context():
        add_prediction(datetime.timedelta(days=12))
        add_prediction(datetime.timedelta(days=5))
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "from 1 predictions older than 10d" in result.output


@pytest.mark.parametrize("value", ["30", "thirty days", "-3d", "3w", ""])
def test_purge_refuses_unclear_periods(runner, value):
    result = runner.invoke(args=["purge", "--older-than", value])
    assert result.exit_code == 2 and "--older-than" in result.output
