"""End to end in headless Chromium: classify a real photo, give feedback, watch it counted.

Screenshots of every step go to test-artifacts/screenshots/, the axe report to test-artifacts/.
"""

import json
import threading

import pytest

from catsdogs import serving

from catsdogs.store import records

from tests.web.browser_helpers import (
    AXE,
    AXE_RUN,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    add_csp,
    serve,
)
from tests.helpers import TOKEN, image_bytes, shared_photos, serve_model
from tests.pictures import least_sure_pet

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's chromium package"
    ),
]
BLOCKING = ("serious", "critical")
# What the flow reads and clicks, in each language the pages speak.
WORDS = {
    "en": {
        "classify": "Classify",
        "outcome": "It’s a cat",
        "right": "Yes, right",
        "wrong": "No, wrong",
        "thanks": "Thank you!",
        "unsure": {"cat": "Not sure: maybe a cat", "dog": "Not sure: maybe a dog"},
        "delete": "Delete this prediction",
        "confirm_delete": "Yes, delete it",
        "deleted": "Prediction deleted",
        "right_cell": "right",
        "not_found": "Page not found",
    },
    "fr": {
        "classify": "Classer",
        "outcome": "C’est un chat",
        "right": "Oui, c’est juste",
        "wrong": "Non, c’est faux",
        "thanks": "Merci\u00a0!",
        "unsure": {
            "cat": "Pas sûr\u00a0: peut-être un chat",
            "dog": "Pas sûr\u00a0: peut-être un chien",
        },
        "delete": "Supprimer cette prédiction",
        "confirm_delete": "Oui, la supprimer",
        "deleted": "Prédiction supprimée",
        "right_cell": "juste",
        "not_found": "Page introuvable",
    },
}
# Functions, not expressions: Playwright evals expressions, and the page's CSP forbids eval.
CHARTED = """count => {
  const chart = Chart.getChart("chart-predictions");
  return chart.data.datasets.flatMap(d => d.data).reduce((a, b) => a + b, 0) === count;
}"""
LOOK = """button => {
  const style = getComputedStyle(button);
  return [style.backgroundColor, style.color, style.borderTopWidth, style.boxShadow];
}"""
# A cell's height in lines of its own text (its padding left out).
LINES = """cell => {
  const style = getComputedStyle(cell);
  const inner = cell.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return inner / parseFloat(style.lineHeight);
}"""
DROP = """bytes => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"}));
  const zone = document.getElementById("dropzone");
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
}"""


@pytest.fixture(scope="module")
def violations():
    """Every axe finding of the module, written out once all pages have been checked."""
    found = {}
    yield found
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "axe.json").write_text(json.dumps(found, indent=2))


@pytest.fixture
def site(app):
    add_csp(app)
    with serve(app) as url:
        yield url


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A page with axe loaded (as an init script: a strict CSP cannot block it) and a log.

    Its browser asks for the language of the test's `page` parameter (English by default).
    """
    language = getattr(request, "param", "en")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.language, page.problems = language, []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()
    assert page.problems == [], "the browser reported errors (CSP violations included)"


@pytest.fixture
def surest_cat(app) -> tuple[str, bytes]:
    """The shared cat photo the model is surest about (the test is about the page)."""
    classifier = serving.parts(app).classifier
    photos = shared_photos("Cat", 12)
    return max(photos, key=lambda photo: classifier.predict(photo[1]).probabilities["cat"])


def step(page, name: str, violations: dict) -> None:
    """Screenshot the page and check it with axe: no serious or critical finding."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    found = page.evaluate(AXE_RUN)
    violations[name] = found
    assert [v for v in found if v["impact"] in BLOCKING] == []


class HeldClassifier:
    """The app's model, but each prediction waits until `release` is set."""

    def __init__(self, model, release: threading.Event):
        self.model, self.release = model, release

    def __getattr__(self, name):
        return getattr(self.model, name)

    def predict_photo(self, data):
        self.release.wait(timeout=20)
        return self.model.predict_photo(data)


def hold_the_model(app) -> threading.Event:
    """Make the next prediction wait until the returned event is set (to see the spinner)."""
    release = threading.Event()
    serve_model(app, HeldClassifier(serving.parts(app).classifier, release))
    return release


@pytest.mark.parametrize("page", ["en", "fr"], indirect=True)
def test_classify_give_feedback_and_see_it_counted(app, site, page, surest_cat, violations):
    photo, language = surest_cat[1], page.language
    words = WORDS[language]

    def shot(name: str) -> None:
        step(page, name if language == "en" else f"{name}-{language}", violations)

    page.goto(site + "/")
    assert page.get_attribute("html", "lang") == language
    assert page.is_checked("#consent") is False
    shot("01-home")

    page.set_input_files(
        "#file", files=[{"name": "my-cat.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.wait_for_selector("#preview:not([hidden])")
    page.check("#consent")
    shot("02-photo-chosen")

    held = hold_the_model(app)
    page.get_by_role("button", name=words["classify"]).click()
    page.wait_for_selector("#busy", state="visible")
    page.wait_for_function("() => document.getElementById('upload-progress').value === 100")
    assert page.get_by_role("button", name=words["classify"]).is_disabled()
    shot("03-classifying")
    held.set()
    page.wait_for_selector("#result .outcome")
    assert page.inner_text("#result h2") == words["outcome"]
    assert "my-cat.jpg" in page.inner_text("#result")
    shot("04-result")

    page.fill("#comment", "Spot on, that is Minou.")
    page.get_by_role("button", name=words["right"]).click()
    assert page.inner_text("#feedback .thanks").startswith(words["thanks"])
    assert page.locator('#feedback button[aria-pressed="true"]').count() == 1
    assert page.locator("#feedback button:disabled").count() == 0  # the vote can change
    page.get_by_role("button", name=words["wrong"]).click()  # a change of mind, twice over
    page.wait_for_selector('#feedback button[value="0"][aria-pressed="true"]')
    page.get_by_role("button", name=words["right"]).click()
    page.wait_for_selector('#feedback button[value="1"][aria-pressed="true"]')
    assert page.input_value("#feedback textarea") == "Spot on, that is Minou."
    # The recorded vote looks pressed: filled, a thicker edge and a check mark, not colour alone.
    pressed, other = (page.locator(f'#feedback button[value="{v}"]') for v in ("1", "0"))
    pressed_look, other_look = pressed.evaluate(LOOK), other.evaluate(LOOK)
    assert [a != b for a, b in zip(pressed_look, other_look, strict=True)] == [True] * 4
    assert pressed.locator(".pressed-mark").is_visible()
    assert not other.locator(".pressed-mark").is_visible()
    shot("05-feedback-sent")

    page.goto(site + "/monitoring")
    assert page.inner_text("#kpi-total") == "1"
    assert words["right_cell"] in page.inner_text("#live table")
    assert "my-cat.jpg" not in page.content()
    page.wait_for_function(CHARTED, arg=1)
    shot("06-monitoring")

    # Another prediction arrives through the API; the polling shows it without a reload.
    response = page.request.post(
        site + "/api/predict",
        headers={"Authorization": f"Bearer {TOKEN}"},
        multipart={"file": {"name": "x.jpg", "mimeType": "image/jpeg", "buffer": photo}},
    )
    assert response.ok
    page.wait_for_function(
        "() => document.getElementById('kpi-total').textContent === '2'", timeout=15_000
    )
    page.wait_for_function(CHARTED, arg=2)
    shot("07-monitoring-refreshed")


@pytest.mark.parametrize("page", ["en", "fr"], indirect=True)
def test_an_unsure_answer_and_its_deletion(app, site, page, violations):
    words, suffix = WORDS[page.language], "" if page.language == "en" else f"-{page.language}"
    page.goto(site + "/")
    # A pet photo the model hesitates on (a red pixel would be "not a cat or a dog").
    photo, label = least_sure_pet(serving.parts(app).classifier)
    upload = {"name": "pet.jpg", "mimeType": "image/jpeg", "buffer": photo}
    page.set_input_files("#file", files=[upload])
    page.check("#consent")
    page.get_by_role("button", name=words["classify"]).click()
    page.wait_for_selector("#result .outcome")
    assert page.inner_text("#result h2") == words["unsure"][label]
    assert page.locator("#result meter.unsure").count() == 1
    step(page, f"12-unsure{suffix}", violations)

    # The first click only asks; nothing is deleted until the answer is yes.
    page.locator("#result summary", has_text=words["delete"]).click()
    confirm = page.get_by_role("button", name=words["confirm_delete"])
    assert confirm.is_visible()
    with app.app_context():
        assert len(records.recent(10, 0)) == 1
    confirm.click()
    page.wait_for_selector("#result [role=status]")
    assert page.inner_text("#result h2") == words["deleted"]
    step(page, f"13-deleted{suffix}", violations)
    with app.app_context():
        assert records.recent(10, 0) == []


def test_keeping_the_photo_for_training_asks_for_the_first_consent(app, site, page, violations):
    page.goto(site + "/")
    photo = image_bytes(fmt="JPEG", size=(640, 480), color=(90, 60, 30))
    page.set_input_files(
        "#file", files=[{"name": "pet.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.check("#training-consent")
    page.get_by_role("button", name="Classify").click()
    page.wait_for_selector("#result .error")
    assert "also tick “Keep the file name of my photo" in page.inner_text("#result")
    step(page, "15-training-needs-consent", violations)

    page.check("#consent")
    page.get_by_role("button", name="Classify").click()
    page.wait_for_selector("#result .outcome")
    assert "A small copy of your photo is kept" in page.inner_text("#result")
    step(page, "16-training-photo-kept", violations)
    with app.app_context():
        [kept] = records.recent(10, 0)
        assert kept.training_consent and (kept.photo.width, kept.photo.height) == (320, 240)


@pytest.mark.parametrize("page", ["en", "fr"], indirect=True)
def test_an_unknown_address_gets_the_site_s_error_page(site, page, violations):
    response = page.goto(site + "/nothing-here")
    assert response.status == 404
    # The browser logs the 404 itself as a console error: that one is expected.
    page.problems[:] = [p for p in page.problems if "404" not in p]
    assert page.inner_text("h1") == WORDS[page.language]["not_found"]
    step(page, "14-not-found" if page.language == "en" else "14-not-found-fr", violations)
    page.get_by_role("link", name="catsdogs").click()
    page.wait_for_url(site + "/")


def test_errors_info_and_a_phone_screen(site, page, violations):
    page.goto(site + "/")
    page.evaluate(DROP, list(image_bytes(fmt="PNG", size=(120, 90), color=(200, 120, 40))))
    page.wait_for_selector("#preview:not([hidden])")
    assert page.evaluate("document.getElementById('file').files[0].name") == "dropped.png"
    page.set_input_files(
        "#file",
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"this is not a photo"}],
    )
    page.get_by_role("button", name="Classify").click()
    page.wait_for_selector("#result .error")
    assert "The file is not an image we can read." in page.inner_text("#result")
    step(page, "08-error", violations)

    page.goto(site + "/info")
    assert "Your photo is not stored unless you tick" in page.inner_text("#privacy")
    step(page, "09-info", violations)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    step(page, "10-phone", violations)


def test_the_latest_predictions_fit_a_phone(app, site, page, violations):
    from tests.web.test_monitoring import store

    with app.app_context():
        for number in range(5):
            store("cat" if number % 2 else "dog", 0.55 + number / 10, feedback=number % 2)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/monitoring")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    table = page.locator("table", has=page.get_by_text("Latest predictions"))
    wrap = page.locator(".table-wrap", has=table)
    assert wrap.evaluate("box => box.scrollWidth <= box.clientWidth")  # no sideways swipe inside
    times = table.locator("tbody td:first-child")
    assert times.count() == 5
    assert max(times.nth(n).evaluate(LINES) for n in range(5)) <= 2
    assert table.locator("tr.unsure").count() >= 1
    step(page, "17-monitoring-phone", violations)


def test_the_language_switch_keeps_the_page(site, page, violations):
    page.goto(site + "/info")
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(site + "/info")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.inner_text("h1") == "Le modèle et vos données"
    step(page, "11-info-fr", violations)
    page.get_by_role("link", name="Suivi").click()
    assert page.inner_text("h1") == "Suivi"  # the choice sticks


def test_the_page_works_from_the_keyboard(site, page, surest_cat):
    page.goto(site + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.set_input_files(
        "#file", files=[{"name": "cat.jpg", "mimeType": "image/jpeg", "buffer": surest_cat[1]}]
    )
    page.focus("#consent")
    page.keyboard.press("Space")
    for _ in range(5):  # past the consent hint's link, to the button
        if page.evaluate("document.activeElement.textContent") == "Classify":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#feedback form")
    page.focus("#comment")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 👍
    page.wait_for_selector("#feedback .thanks")
