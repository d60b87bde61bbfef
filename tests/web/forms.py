"""What the page tests share: the page's forms, filled in and posted as a browser would."""

import io
import re

PLAIN = {"HX-Request": "false"}  # the htmx fixture's client, asking as a browser without htmx
HX = {"HX-Request": "true"}


def csrf_token(client) -> str:
    """The token of the client's session, read from the form as a browser would."""
    page = client.get("/", headers=PLAIN).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def classify(
    client,
    data: bytes,
    name="photo.jpg",
    consent=True,
    token=None,
    headers=None,
    training_consent=False,
):
    form = {"file": (io.BytesIO(data), name), "csrf_token": token or csrf_token(client)}
    if consent:
        form["consent"] = "yes"
    if training_consent:
        form["training_consent"] = "yes"
    return client.post("/classify", data=form, headers=headers, content_type="multipart/form-data")


def send_feedback(client, prediction_id: int, satisfied="1", comment="", token=None, headers=None):
    form = {"satisfied": satisfied, "comment": comment, "csrf_token": token or csrf_token(client)}
    return client.post(f"/feedback/{prediction_id}", data=form, headers=headers)


def erase(client, prediction_id: int, token=None, headers=None):
    form = {"csrf_token": token or csrf_token(client)}
    return client.post(f"/erase/{prediction_id}", data=form, headers=headers)
