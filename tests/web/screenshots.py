"""The docs' screenshots, taken by hand with `make screenshots` (not a test: no test_ prefix).

In headless Chromium, in English and French, on a 1280 px desktop and a 390 px phone: the
result after a vote, the deleted card, the monitoring page and the review queue, each cropped to
its part of the page and written to docs/screenshots/<view>-<size>-<language>.png.
"""

import io

import pytest
from PIL import Image

from catsdogs import serving
from tests.helpers import shared_photos
from tests.store.feedback_photos import keep_photo
from tests.web.browser_helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, add_csp, serve
from tests.web.test_browser import WORDS
from tests.web.test_monitoring import store

pytestmark = pytest.mark.system
OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "screenshots-password-0123"
TALLEST = 1600  # px: a long page is cut here, its top being what the picture is about
# Where an element lies on the whole page (a full-page clip's coordinates), whatever the scroll.
PLACE = """element => {
  const box = element.getBoundingClientRect();
  return {x: box.left + scrollX, y: box.top + scrollY, width: box.width, height: box.height};
}"""
COLOURS = 64  # a palette this size keeps text and icons crisp at a fraction of the bytes


def small(photo: bytes) -> bytes:
    """A photo as the service keeps it: at most 320 px, JPEG."""
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    image.thumbnail((320, 320))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def site(make_app):
    """A served app with history: answered predictions, votes, and kept photos to review."""
    app = make_app(REVIEWER_PASSWORD=PASSWORD)
    with app.app_context():
        unsure_below = serving.parts(app).classifier.card.unsure_below
        for number, confidence in enumerate((0.97, unsure_below - 0.1, 0.91, 0.99)):
            store("cat" if number % 2 else "dog", confidence, feedback=number % 2)
        for number, (_, photo) in enumerate(shared_photos("Cat", 3) + shared_photos("Dog", 3)):
            label = "cat" if number < 3 else "dog"
            review = {"review": "rejected", "reviewer": "Ada"} if number == 5 else {}
            keep_photo(label, number % 2, jpeg=small(photo), **review)
    add_csp(app)
    with serve(app) as url:
        yield app, url


def surest_cat(app) -> bytes:
    classifier = serving.parts(app).classifier
    photos = shared_photos("Cat", 12)
    return max(photos, key=lambda p: classifier.predict(p[1]).probabilities["cat"])[1]


def shoot(page, selector: str, name: str) -> None:
    """Screenshot the element `selector`, cut at TALLEST, as a small palette PNG."""
    element = page.locator(selector).first
    element.wait_for(state="visible")
    box = element.evaluate(PLACE)
    for _ in range(50):  # an element htmx has just swapped in may not be laid out yet
        if box["width"] and box["height"]:
            break
        page.wait_for_timeout(100)
        box = element.evaluate(PLACE)
    clip = {**box, "height": min(box["height"], TALLEST)}
    shot = Image.open(io.BytesIO(page.screenshot(clip=clip, full_page=True)))
    OUT.mkdir(parents=True, exist_ok=True)
    shot.convert("RGB").quantize(COLOURS).save(OUT / f"{name}.png", optimize=True)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", SIZES)
def test_screenshots(site, language, size):
    from playwright.sync_api import sync_playwright

    # Asked for by hand: a missing browser is an error here, not a skip.
    assert CHROMIUM.exists(), f"{CHROMIUM} is absent: install Debian's chromium package"
    app, url = site
    words, photo = WORDS[language], surest_cat(app)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_context(viewport=SIZES[size], locale=language).new_page()
        suffix = f"{size}-{language}"

        page.goto(url + "/")
        page.set_input_files(
            "#file", files=[{"name": "minou.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
        page.check("#consent")
        page.check("#training-consent")
        page.get_by_role("button", name=words["classify"]).click()
        page.wait_for_selector("#result .outcome")
        page.get_by_role("button", name=words["right"]).click()
        page.wait_for_selector('#feedback button[value="1"][aria-pressed="true"]')
        page.locator("#result .erase summary").click()  # the delete question, open
        shoot(page, "#result > .card", f"result-{suffix}")

        page.get_by_role("button", name=words["confirm_delete"]).click()
        page.wait_for_selector("#result [role=status]")
        shoot(page, "#result > .card", f"deleted-{suffix}")

        page.goto(url + "/monitoring")
        page.wait_for_function("() => window.Chart && Chart.getChart('chart-predictions')")
        shoot(page, "main", f"monitoring-{suffix}")

        page.goto(url + "/review")
        page.fill("#reviewer-name", "Ada")
        page.fill("#reviewer-password", PASSWORD)
        page.locator("form.login button[type=submit]").click()
        page.wait_for_selector("article.review-card")
        shoot(page, "main", f"review-{suffix}")
        chromium.close()
