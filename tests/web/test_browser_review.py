"""The label review in headless Chromium: log in, the most useful photo first and why, decide
one photo by click and two by key, then the queue oldest first."""

import pytest

from tests.web.browser_helpers import CHROMIUM, add_csp, serve
from tests.store.feedback_photos import keep_photo, row
from tests.web.test_browser import browser, page, step, violations  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's chromium package"
    ),
]
PASSWORD = "review-password-0123"


@pytest.fixture
def review_site(make_app):
    app = make_app(REVIEWER_PASSWORD=PASSWORD)
    with app.app_context():
        app.photo_ids = [
            keep_photo("cat", 1, comment="Minou"),
            keep_photo("cat", 0),
            keep_photo("dog", None),
        ]
    add_csp(app)
    with serve(app) as url:
        yield app, url


def test_review_by_click_and_by_keyboard(review_site, page, violations):  # noqa: F811
    app, url = review_site
    clicked, keyed, neither = app.photo_ids
    page.goto(url + "/review")
    page.fill("#reviewer-name", "Ada")
    page.fill("#reviewer-password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector(f"#photo-{keyed}")
    # Most useful first: the photo its user said was wrong, and the card says so.
    assert cards(page) == [keyed, clicked, neither]
    assert "user said wrong" in page.inner_text(f"#photo-{keyed} .reasons")
    step(page, "review-01-queue", violations)

    page.keyboard.press("x")  # no card focused: the first; 👎 on "cat" proposes dog, so cat
    page.wait_for_selector(f"#photo-{keyed}.reviewed")
    assert "Corrected: cat, by Ada" in page.inner_text(f"#photo-{keyed}")
    # The next card has the focus: a click in it, then its successor's shortcut.
    page.wait_for_function(f"() => document.activeElement.id === 'photo-{clicked}'")
    page.locator(f"#photo-{clicked}").get_by_role("button", name="Confirm: cat").click()
    page.wait_for_selector(f"#photo-{clicked}.reviewed")
    assert "Confirmed: cat, by Ada" in page.inner_text(f"#photo-{clicked}")
    page.wait_for_function(f"() => document.activeElement.id === 'photo-{neither}'")
    page.keyboard.press("n")  # neither a cat nor a dog
    page.wait_for_selector(f"#photo-{neither}.reviewed")
    assert "Corrected: neither a cat nor a dog, by Ada" in page.inner_text(f"#photo-{neither}")
    counts = page.inner_text("#review-counts")
    assert "3 kept, 3 reviewed, 0 rejected, 0 waiting. Neither a cat nor a dog: 1." in counts
    page.keyboard.press("k")
    assert page.evaluate("() => document.activeElement.id") == f"photo-{clicked}"
    step(page, "review-02-reviewed", violations)

    page.get_by_role("link", name="oldest first").click()
    page.wait_for_url("**/review?order=oldest")
    assert cards(page) == [clicked, keyed, neither]

    with app.app_context():
        assert row(clicked)[:3] == ("confirmed", "cat", "Ada")
        assert row(keyed)[:3] == ("corrected", "cat", "Ada")
        assert row(neither)[:3] == ("corrected", "neither", "Ada")


def cards(browser_page) -> list[int]:
    """The photo ids of the queue's cards, top to bottom."""
    ids = browser_page.eval_on_selector_all(".review-card", "cards => cards.map(card => card.id)")
    return [int(card.removeprefix("photo-")) for card in ids]
