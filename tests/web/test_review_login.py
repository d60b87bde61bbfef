"""The review login's guards: a limit across all addresses, closed without its limit storage,
sessions that expire and end everywhere at logout."""

import time

import pytest

from catsdogs.web import review_page
from tests.web.forms import csrf_token

PASSWORD = "correct horse battery staple"


@pytest.fixture
def review_app(make_app):
    return make_app(REVIEWER_PASSWORD=PASSWORD)


def login(client, password=PASSWORD, address=None):
    form = {"name": "Ada", "password": password, "csrf_token": csrf_token(client)}
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/review/login", data=form, headers=headers)


def logged_in(client) -> bool:
    return "Log out" in client.get("/review").get_data(as_text=True)


def test_guesses_from_many_addresses_share_one_limit(make_app):
    client = make_app(REVIEWER_PASSWORD=PASSWORD, TRUSTED_PROXY_HOPS=1).test_client()
    answers = [login(client, "guess", f"198.51.100.{n}").status_code for n in range(1, 32)]
    assert answers[:30] == [401] * 30 and answers[30] == 429
    assert login(client, PASSWORD, "203.0.113.9").status_code == 429  # the right one waits too


def test_the_login_is_closed_while_the_limit_storage_is_down(make_app):
    app = make_app(REVIEWER_PASSWORD=PASSWORD, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    client = app.test_client()
    answer = login(client)
    assert answer.status_code == 503
    assert "Login is closed for now" in answer.get_data(as_text=True)
    assert not logged_in(client)


def test_a_session_expires_after_12_hours(review_app, monkeypatch):
    client = review_app.test_client()
    assert login(client).status_code == 303 and logged_in(client)
    later = time.time() + review_page.SESSION_SECONDS + 1
    monkeypatch.setattr(review_page.time, "time", lambda: later)
    assert not logged_in(client)


def test_logout_ends_every_copy_of_the_session_cookie(review_app):
    client, copy = review_app.test_client(), review_app.test_client()
    assert login(client).status_code == 303
    copy.set_cookie("session", client.get_cookie("session").value)
    assert logged_in(copy)
    client.post("/review/logout", data={"csrf_token": csrf_token(client)})
    assert not logged_in(client) and not logged_in(copy)
