"""Configuration parsing: tokens, on/off flags, in-memory databases refused, the instance secret."""

import stat

import pytest

from catsdogs import config, create_app
from catsdogs.extensions import db
from tests.helpers import settings_for


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_at_start(tmp_path, url):
    with pytest.raises(ValueError, match="in-memory SQLite database, which loses every"):
        create_app(settings_for(tmp_path, url))


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_driverless_postgresql_url_is_accepted(tmp_path, classifier, scheme):
    app = create_app(settings_for(tmp_path, f"{scheme}://cd:pw@db.invalid:5432/cd"), classifier)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://cd:pw@db.invalid:5432/cd"
    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg2"


def test_a_postgres_url_in_the_environment_is_accepted(environment, monkeypatch, classifier):
    monkeypatch.setenv("DATABASE_URL", "postgres://cd:pw@db.invalid/cd")
    app = create_app(classifier=classifier)
    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg2"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("sqlite://", True),
        ("sqlite:///:memory:", True),
        ("sqlite+pysqlite:///:memory:", True),
        ("sqlite:////var/lib/catsdogs/catsdogs.sqlite", False),
        ("sqlite:///relative.sqlite", False),
        ("postgresql+psycopg2://user@db:5432/catsdogs", False),
    ],
)
def test_in_memory_recognises_only_sqlite_without_a_file(url, expected):
    assert config.in_memory(url) is expected


@pytest.mark.parametrize("value", ["1", "true", "TRUE", " Yes ", "on"])
def test_flag_reads_the_usual_words_for_on(value):
    assert config.flag(value) is True


@pytest.mark.parametrize("value", ["0", "false", "off", "no", "", "enabled", "2"])
def test_flag_reads_anything_else_as_off(value):
    assert config.flag(value) is False


def test_named_tokens_are_read_with_spaces_and_empty_entries_ignored():
    assert config.parse_tokens(" ci : abc , laptop:def,,", None) == {"ci": "abc", "laptop": "def"}


def test_a_token_may_contain_a_colon():
    assert config.parse_tokens("ci:abc:def", None) == {"ci": "abc:def"}


def test_the_single_token_is_named_default_next_to_the_named_ones():
    assert config.parse_tokens("ci:abc", " xyz ") == {"ci": "abc", "default": "xyz"}
    assert config.parse_tokens("", "xyz") == {"default": "xyz"}


def test_no_tokens_at_all_is_an_empty_set():
    assert config.parse_tokens("", None) == {}


@pytest.mark.parametrize("named", ["abc", "ci:", "ci:abc,laptop"])
def test_an_entry_without_a_token_is_refused(named):
    with pytest.raises(ValueError, match="name:token"):
        config.parse_tokens(named, None)


def test_the_instance_secret_is_made_once_readable_only_by_its_owner(tmp_path):
    path = tmp_path / "secret_key"
    secret = config.instance_secret(path)
    assert len(secret) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.instance_secret(path) == secret


def test_a_negative_proxy_hop_count_is_refused(make_app):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS must be 0"):
        make_app(TRUSTED_PROXY_HOPS=-1)


@pytest.mark.parametrize("secret", ["hunter2", "eleven-char"])
def test_a_reviewer_password_under_12_characters_is_refused(make_app, secret):
    with pytest.raises(ValueError, match="REVIEWER_PASSWORD must be 12 characters or more"):
        make_app(REVIEWER_PASSWORD=secret)


def test_a_12_character_reviewer_password_starts_review(make_app):
    assert make_app(REVIEWER_PASSWORD="twelve-chars").config["REVIEWER_PASSWORD"]
