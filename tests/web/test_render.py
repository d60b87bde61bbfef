"""Whole page or htmx fragment: which one a request gets, with which status and Vary header."""

import io

import pytest

from tests.helpers import image_bytes

PAGES = {
    "/": "Choose a photo and press Classify",
    "/monitoring": "Latest predictions",
    "/info": "How well it works",
}
PLAIN = {"HX-Request": "false"}  # the htmx fixture's client, asking as a browser without htmx


@pytest.mark.parametrize("path, text", PAGES.items())
def test_a_plain_request_gets_the_whole_page(client, path, text):
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith("<!doctype html>") and '<nav aria-label="Main">' in body
    assert text in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("path, text", PAGES.items())
def test_an_htmx_request_gets_only_the_partial(htmx, path, text):
    response = htmx.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "<nav" not in body
    assert text in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
@pytest.mark.parametrize("path", PAGES)
def test_boosted_and_history_restore_requests_get_the_whole_page(htmx, path, header):
    body = htmx.get(path, headers={header: "true"}).get_data(as_text=True)
    assert body.startswith("<!doctype html>")


@pytest.mark.parametrize(
    "data, name, status",
    [
        (b"", "empty.jpg", 400),
        (b"this is text", "notes.jpg", 415),
        (b"%PDF-1.7 ...", "scan.pdf", 415),
        (image_bytes(size=(400, 400), fmt="BMP"), "big.bmp", 413),  # over the 0.01 MB limit
    ],
    ids=["empty", "text", "pdf", "too-large"],
)
def test_an_error_is_a_200_fragment_for_htmx_and_keeps_its_status_as_a_page(
    make_app, data, name, status
):
    client = make_app(WTF_CSRF_ENABLED=False, MAX_UPLOAD_MB=0.01).test_client()

    def upload(headers):
        form = {"file": (io.BytesIO(data), name), "consent": "yes"}
        return client.post("/classify", data=form, headers=headers)

    fragment = upload({"HX-Request": "true"})
    assert fragment.status_code == 200  # htmx 2 would not swap a 4xx
    assert 'role="alert"' in fragment.text and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    page = upload(PLAIN)
    assert page.status_code == status
    assert page.text.startswith("<!doctype html>") and 'role="alert"' in page.text
