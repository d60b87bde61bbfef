"""The pages' language: Accept-Language, the switch kept in the session, htmx partials, the API."""

import io
import re

import pytest

from tests.helpers import TOKEN, image_bytes
from tests.web.forms import HX, PLAIN, classify, csrf_token, send_feedback

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
PAGES = {
    "/": ("Chat ou chien\u00a0?", "Choisissez une photo et appuyez sur Classer."),
    "/info": ("Le modèle et vos données", "Votre photo n’est pas conservée"),
    "/monitoring": ("Dernières prédictions", "Aucune prédiction pour l’instant."),
}


def choose(client, code: str, next_path: str = "/"):
    return client.get(f"/language/{code}", query_string={"next": next_path})


@pytest.mark.parametrize("path, texts", PAGES.items())
def test_a_french_browser_gets_the_french_page(client, path, texts):
    response = client.get(path, headers=FRENCH)
    body = response.get_data(as_text=True)
    assert '<html lang="fr">' in body
    assert all(text in body for text in texts)
    assert "Skip to content" not in body and "Aller au contenu" in body
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    "header, lang",
    [(None, "en"), ("fr", "fr"), ("fr-CA", "fr"), ("de-DE,de;q=0.9", "en"), ("de,fr;q=0.5", "fr")],
)
def test_the_language_is_the_best_match_of_accept_language(client, header, lang):
    headers = {"Accept-Language": header} if header else {}
    assert f'<html lang="{lang}">' in client.get("/", headers=headers).text


def test_the_switch_keeps_the_page_and_sticks(client):
    response = choose(client, "fr", "/info?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/info?x=1"
    with client.session_transaction() as session:
        assert session["language"] == "fr"
    english_browser = {"Accept-Language": "en"}  # the choice wins over the browser's
    assert '<html lang="fr">' in client.get("/monitoring", headers=english_browser).text
    choose(client, "en")
    assert '<html lang="en">' in client.get("/", headers=FRENCH).text


def test_each_page_links_to_the_switch_back_to_itself(client):
    body = client.get("/info?x=1", headers=FRENCH).text
    assert 'href="/language/en?next=/info?x%3D1" lang="en" hreflang="en"' in body
    assert 'lang="fr" hreflang="fr" aria-current="true">Français</a>' in body


def test_after_a_form_posted_without_javascript_the_switch_goes_home(client, cat_photo):
    body = classify(client, cat_photo, headers={**PLAIN, **FRENCH}).text
    assert "C’est un <strong>chat</strong>" in body
    assert 'href="/language/en?next=/"' in body


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_the_switch_never_redirects_to_another_site(client, target):
    response = choose(client, "fr", target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_an_unknown_language_is_not_found(client):
    assert client.get("/language/de").status_code == 404
    with client.session_transaction() as session:
        assert "language" not in session


def test_htmx_partials_come_back_in_the_sessions_language(htmx, cat_photo):
    choose(htmx, "fr")
    assert "Dernières prédictions" in htmx.get("/monitoring").text
    body = classify(htmx, cat_photo).text
    assert "<html" not in body and "Avons-nous vu juste\u00a0?" in body
    assert "C’est un <strong>chat</strong>" in body and "Probabilité\u00a0: chien" in body
    body = send_feedback(htmx, 1, "1").text
    assert "Merci\u00a0! Nous avons enregistré votre réponse\u00a0: oui, c’était juste." in body


def test_figures_are_written_the_french_way(htmx, cat_photo):
    choose(htmx, "fr")
    body = classify(htmx, cat_photo).text
    assert re.search(r"Confiance\u00a0: \d+,\d\u00a0%", body)
    assert re.search(r"<dd>\d+,\d\u00a0ms</dd>", body)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "Le fichier envoyé est vide."),
        (b"this is text", "Ce fichier n’est pas une image que nous savons lire."),
    ],
)
def test_a_bad_upload_is_explained_in_french(htmx, data, message):
    choose(htmx, "fr")
    body = classify(htmx, data, "bad.jpg").text
    assert "Nous n’avons pas pu classer cette photo" in body and message in body


def test_the_pages_own_messages_are_in_french(app, htmx, cat_photo):
    choose(htmx, "fr")
    assert (
        "Choisissez d’abord une photo."
        in htmx.post("/classify", data={"csrf_token": csrf_token(htmx)}).text
    )
    assert "Ce formulaire a expiré." in htmx.post("/classify", data={}).text
    classify(htmx, cat_photo)
    assert "Choisissez «\u00a0Oui, c’est juste\u00a0»" in send_feedback(htmx, 1, "maybe").text
    app.config.update(MAX_UPLOAD_MB=0.01, MAX_CONTENT_LENGTH=10_000)
    big = image_bytes(size=(400, 400), fmt="BMP")
    assert "Le fichier dépasse 0,01\u00a0Mo" in classify(htmx, big, "big.bmp").text


def test_feedback_refused_for_another_session_says_so_in_french(app, cat_photo):
    owner, stranger = app.test_client(), app.test_client()
    classify(owner, cat_photo, headers=HX)
    choose(stranger, "fr")
    body = send_feedback(stranger, 1, headers=HX).text
    assert "Aucune prédiction ne porte le numéro 1." in body


def test_the_json_api_keeps_english_messages(client):
    response = client.post(
        "/api/predict",
        data={"file": (io.BytesIO(b""), "empty.jpg")},
        headers={"Authorization": f"Bearer {TOKEN}", **FRENCH},
    )
    assert response.status_code == 400
    assert response.json == {"error": "empty_file", "message": "The uploaded file is empty."}
