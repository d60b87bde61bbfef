"""The result card for a picture of neither class, and the heatmap of why, in English and French."""

import re

import pytest

from catsdogs.serving.explain import PLACES
from tests.helpers import HtmxClient, image_bytes
from tests.pictures import drawing
from tests.small_model import served
from tests.web.forms import HX, classify

NEITHER = {
    "en": ("This doesn’t look like a cat or a dog", "If it had to choose between the two"),
    "fr": ("Cela ne ressemble ni à un chat ni à un chien", "S’il devait choisir entre les deux"),
}
WHY = {
    "en": "Why? Show where the model looked",
    "fr": "Pourquoi\u00a0? Voir où le modèle a regardé",
}
ALT = {"en": "Heatmap: the model looked most at the ", "fr": "Carte de chaleur\u00a0: le modèle"}


def size_said(side: int, language: str) -> str:
    """The caption's words for the size of the image the model read."""
    times = " × " if language == "en" else "\u00a0×\u00a0"
    return f"({side}{times}{side} pixels)"


def answer(htmx, data: bytes, language: str, name="photo.png") -> str:
    headers = {**HX, "Accept-Language": language}
    return classify(htmx, data, name, headers=headers).get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_drawing_is_neither_a_cat_nor_a_dog(htmx, language, classifier):
    body = answer(htmx, drawing(), language)
    heading, nearer = NEITHER[language]
    assert f"<h2>{heading}</h2>" in body and nearer in body
    threshold = f"{classifier.card.neither_above:,.0f}"
    assert threshold.replace(",", "\u202f" if language == "fr" else ",") in body
    # The nearer class is a side note: no "It's a cat", no confidence, no probability bars.
    assert "It’s a" not in body and "C’est un" not in body and "Not sure" not in body
    assert "<meter" not in body and "confident" not in body


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_cat_photo_gets_the_usual_answer_and_a_folded_heatmap(htmx, cat_photo, language):
    body = answer(htmx, cat_photo, language, "cat.jpg")
    assert {"en": "It’s a <strong>cat</strong>", "fr": "C’est un <strong>chat</strong>"}[
        language
    ] in body
    assert NEITHER[language][0] not in body
    why = re.search(r'<details class="why">.*?</details>', body, re.S).group(0)
    assert f"<summary>{WHY[language]}</summary>" in why
    image = re.search(r"<img [^>]*>", why).group(0)
    assert 'src="data:image/jpeg;base64,' in image and 'width="224" height="224"' in image
    assert size_said(224, language) in why
    assert re.search(r'alt="([^"]+)"', image).group(1).startswith(ALT[language])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_heatmap_of_a_model_of_another_size_says_its_size(make_app, tmp_path, language):
    app = make_app(MODEL_PATH=str(served(tmp_path, 240, 8)))
    app.test_client_class = HtmxClient
    body = answer(app.test_client(), image_bytes(size=(300, 200)), language)
    why = re.search(r'<details class="why">.*?</details>', body, re.S).group(0)
    assert 'width="240" height="240"' in why
    assert size_said(240, language) in why


@pytest.mark.parametrize("place", [p for row in PLACES for p in row] + ["evenly"])
def test_every_place_has_its_own_alt_text_in_both_languages(app, place):
    from catsdogs.web.formats import looked_at

    sentences = set()
    for language in ("en", "fr"):
        with app.test_request_context(headers={"Accept-Language": language}):
            sentences.add(looked_at(place))
    assert len(sentences) == 2 and all(s.endswith(".") for s in sentences)


def test_the_monitoring_table_shows_a_neither_row_as_such(htmx, client):
    answer(htmx, drawing(), "en")
    table = client.get("/monitoring").get_data(as_text=True)
    row = re.search(r'<tbody>\s*<tr class="neither">(.*?)</tr>', table, re.S).group(1)
    assert re.search(r'<td data-label="Result">neither cat nor dog</td>\s*<td [^>]*>–</td>', row)
