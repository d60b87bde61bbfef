"""Flask CLI: init-db, api-token and the retention purge."""

import datetime
import os
import subprocess
import sys

import pytest
from sqlalchemy import inspect, select

from catsdogs.extensions import db
from catsdogs.models import Prediction, utc_now
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


def test_api_token_is_generated_once_and_then_used(make_app):
    app = make_app(API_TOKENS={})
    first = app.test_cli_runner().invoke(args=["api-token"])
    token = first.output.strip().splitlines()[-1].strip()
    assert "Generated an API token" in first.output and len(token) >= 32
    again = make_app(API_TOKENS={})
    assert token not in again.test_cli_runner().invoke(args=["api-token"]).output
    response = again.test_client().get(
        "/api/statistics", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


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
