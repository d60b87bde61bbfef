"""In headless Chromium: "not a cat or a dog" and the heatmap of why, in English and French."""

import pytest

from tests.pictures import drawing
from tests.web.browser_helpers import CHROMIUM, add_csp, serve
from tests.web.test_browser import WORDS, browser, page, step, surest_cat, violations  # noqa: F401

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's chromium package"
    ),
]
NEITHER = {
    "en": "This doesn’t look like a cat or a dog",
    "fr": "Cela ne ressemble ni à un chat ni à un chien",
}
WHY = {
    "en": "Why? Show where the model looked",
    "fr": "Pourquoi\u00a0? Voir où le modèle a regardé",
}
ALT = {"en": "Heatmap: the model looked most at", "fr": "Carte de chaleur\u00a0: le modèle a"}
# The overlay decoded to the model's 224 x 224 pixels (a data: URI, allowed by img-src).
DECODED = """() => {
  const image = document.querySelector("#result details.why img");
  return image.complete && image.naturalWidth === 224 && image.naturalHeight === 224;
}"""


@pytest.fixture
def site(app):
    add_csp(app)
    with serve(app) as url:
        yield url


def classify(tab, name: str, data: bytes, language: str, heading: str) -> None:
    """Send the photo and wait for the card whose heading is `heading` (not the last one)."""
    tab.set_input_files("#file", files=[{"name": name, "mimeType": "image/png", "buffer": data}])
    tab.get_by_role("button", name=WORDS[language]["classify"]).click()
    tab.locator("#result .outcome h2", has_text=heading).wait_for()


def open_the_heatmap(tab, language: str) -> None:
    """Unfold the heatmap by clicking its summary: it starts folded."""
    image = tab.locator("#result details.why img")
    assert not image.is_visible()
    tab.get_by_text(WHY[language]).click()
    image.wait_for(state="visible")
    tab.wait_for_function(DECODED)
    assert image.get_attribute("alt").startswith(ALT[language])


@pytest.mark.parametrize("page", ["en", "fr"], indirect=True)
def test_neither_and_the_heatmap_in_both_languages(site, page, surest_cat, violations):  # noqa: F811
    language = page.language
    suffix = "" if language == "en" else f"-{language}"
    page.goto(site + "/")
    classify(page, "house.png", drawing(), language, NEITHER[language])
    assert page.inner_text("#result h2") == NEITHER[language]
    assert page.locator("#result meter").count() == 0  # no "97% cat" under it
    open_the_heatmap(page, language)
    step(page, f"17-neither-heatmap{suffix}", violations)

    classify(page, "cat.jpg", surest_cat[1], language, WORDS[language]["outcome"])
    assert page.inner_text("#result h2") == WORDS[language]["outcome"]
    open_the_heatmap(page, language)
    step(page, f"18-cat-heatmap{suffix}", violations)
    summary = page.locator("#result details.why summary")
    summary.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#result details.why:not([open])")
