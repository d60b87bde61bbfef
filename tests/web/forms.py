"""What the page tests share: the page's forms, filled in and posted as a browser would."""

import io
import re

from catsdogs.extensions import db
from catsdogs.store.tables import Prediction

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


def shown(client, prediction_id: int) -> str:
    """The request_id that a card showing prediction `prediction_id` now carries ("" if none)."""
    with client.application.app_context():
        record = db.session.get(Prediction, prediction_id)
        return record.request_id if record else ""


def send_feedback(
    client, prediction_id: int, satisfied="1", comment="", token=None, headers=None, row=None
):
    """Vote from a card showing the prediction as it is now, or as it was (`row`: its
    request_id then)."""
    form = {"satisfied": satisfied, "comment": comment, "csrf_token": token or csrf_token(client)}
    form["request_id"] = shown(client, prediction_id) if row is None else row
    return client.post(f"/feedback/{prediction_id}", data=form, headers=headers)


def erase(client, prediction_id: int, token=None, headers=None, row=None):
    form = {"csrf_token": token or csrf_token(client)}
    form["request_id"] = shown(client, prediction_id) if row is None else row
    return client.post(f"/erase/{prediction_id}", data=form, headers=headers)
