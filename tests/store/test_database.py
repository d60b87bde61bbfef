"""Database URLs as users write them, and failures told in one line without the password."""

import pytest
from sqlalchemy import create_engine, exc

from catsdogs.store import database


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://u:p@db:5432/cd", "postgresql+psycopg2://u:p@db:5432/cd"),
        ("postgresql://u:p@db/cd", "postgresql+psycopg2://u:p@db/cd"),
        ("postgresql+psycopg2://u:p@db/cd", "postgresql+psycopg2://u:p@db/cd"),
        ("postgresql+psycopg://u@db/cd", "postgresql+psycopg://u@db/cd"),
        ("sqlite:////srv/cd.sqlite", "sqlite:////srv/cd.sqlite"),
    ],
)
def test_a_driverless_postgresql_url_gets_psycopg2(url, expected):
    assert database.normalise_url(url) == expected


def test_the_url_shown_hides_the_password():
    shown = database.shown("postgresql+psycopg2://cd:s3cret@db:5432/cd")
    assert shown == "postgresql+psycopg2://cd:***@db:5432/cd"


def test_the_reason_is_the_driver_s_first_line_without_its_preamble(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    with pytest.raises(exc.OperationalError) as failure:
        engine.connect()
    assert database.reason(failure.value) == "unable to open database file"


@pytest.mark.parametrize(
    "said, expected",
    [
        (
            'connection to server at "127.0.0.1", port 5999 failed: Connection refused\n'
            "\tIs the server running on that host and accepting TCP/IP connections?\n",
            "Connection refused",
        ),
        (
            'connection to server at "db", port 5432 failed: FATAL:  password authentication '
            'failed for user "cd"\n',
            'password authentication failed for user "cd"',
        ),
    ],
)
def test_psycopg2_s_words_are_cut_to_the_reason(said, expected):
    assert database.reason(exc.OperationalError("SELECT 1", {}, Exception(said))) == expected
