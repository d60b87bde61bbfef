"""The label review in headless Chromium: log in, decide one photo by click, two by key."""

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
    page.wait_for_selector(f"#photo-{clicked}")
    step(page, "review-01-queue", violations)

    page.locator(f"#photo-{clicked}").get_by_role("button", name="Confirm: cat").click()
    page.wait_for_selector(f"#photo-{clicked}.reviewed")
    assert "Confirmed: cat, by Ada" in page.inner_text(f"#photo-{clicked}")
    # The next card has the focus: its shortcut acts on it.
    page.wait_for_function(f"() => document.activeElement.id === 'photo-{keyed}'")
    page.keyboard.press("x")  # 👎 on "cat" proposes dog: correcting means cat
    page.wait_for_selector(f"#photo-{keyed}.reviewed")
    assert "Corrected: cat, by Ada" in page.inner_text(f"#photo-{keyed}")
    page.wait_for_function(f"() => document.activeElement.id === 'photo-{neither}'")
    page.keyboard.press("n")  # neither a cat nor a dog
    page.wait_for_selector(f"#photo-{neither}.reviewed")
    assert "Corrected: neither a cat nor a dog, by Ada" in page.inner_text(f"#photo-{neither}")
    counts = page.inner_text("#review-counts")
    assert "3 kept, 3 reviewed, 0 rejected, 0 waiting. Neither a cat nor a dog: 1." in counts
    page.keyboard.press("k")
    assert page.evaluate("() => document.activeElement.id") == f"photo-{keyed}"
    step(page, "review-02-reviewed", violations)

    with app.app_context():
        assert row(clicked)[:3] == ("confirmed", "cat", "Ada")
        assert row(keyed)[:3] == ("corrected", "cat", "Ada")
        assert row(neither)[:3] == ("corrected", "neither", "Ada")
