"""POST /api/predict for a photo of neither class, and with explain=true: why the model answered."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from catsdogs.card import SHIPPED_MODEL
from tests.api.test_predict import predict
from tests.helpers import ApiClient
from tests.pictures import drawing
from tests.small_model import served


def test_a_drawing_is_neither_and_keeps_the_nearer_class(api, classifier):
    body = predict(api, drawing(), name="house.png").get_json()
    assert body["neither"] is True
    assert body["neither_score"] > classifier.card.neither_above
    assert body["prediction"] in ("cat", "dog")  # existing clients still read a class
    assert "explanation" not in body  # not asked: nothing computed


def test_a_cat_photo_is_not_neither(api, cat_photo, classifier):
    body = predict(api, cat_photo).get_json()
    assert body["neither"] is False and body["neither_score"] < classifier.card.neither_above


@pytest.mark.parametrize("explain", ["true", "1", "Yes"])
def test_explain_returns_the_predicted_class_s_map_and_overlay(api, cat_photo, explain):
    body = predict(api, cat_photo, explain=explain).get_json()
    found = body["explanation"]
    grid, logits = np.array(found["grid"]), np.array(found["logits"])
    assert found["class"] == body["prediction"] == "cat"
    assert grid.shape == logits.shape == (7, 7)
    assert grid.min() == 0 and grid.max() == 1 and logits.mean() > 0
    assert found["overlay"].startswith("data:image/jpeg;base64,")
    overlay = Image.open(io.BytesIO(base64.b64decode(found["overlay"].split(",", 1)[1])))
    assert overlay.format == "JPEG" and overlay.size == (224, 224)
    assert found["size"] == [224, 224]
    assert "explanation_unavailable" not in body


def test_a_model_of_another_geometry_explains_on_its_own_grid(make_app, tmp_path, cat_photo):
    """A 240-pixel model with an 8x8 map: its grid, its overlay's size, its cells."""
    app = make_app(MODEL_PATH=str(served(tmp_path, 240, 8)))
    app.test_client_class = ApiClient
    found = predict(app.test_client(), cat_photo, explain="true").get_json()["explanation"]
    assert np.array(found["grid"]).shape == np.array(found["logits"]).shape == (8, 8)
    overlay = Image.open(io.BytesIO(base64.b64decode(found["overlay"].split(",", 1)[1])))
    assert overlay.size == (240, 240) and found["size"] == [240, 240]


def test_a_neither_answer_is_explained_by_the_nearer_class(api):
    body = predict(api, drawing(), explain="true").get_json()
    assert body["neither"] is True and body["explanation"]["class"] == body["prediction"]


@pytest.mark.parametrize("explain", ["false", "0", None])
def test_without_explain_there_is_no_explanation(api, cat_photo, explain):
    form = {} if explain is None else {"explain": explain}
    assert "explanation" not in predict(api, cat_photo, **form).get_json()


def test_explain_takes_only_the_boolean_words(api, cat_photo):
    response = predict(api, cat_photo, explain="please")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert "explain" in response.get_json()["message"]


def test_a_model_without_maps_answers_a_null_explanation_and_why(make_app, tmp_path, cat_photo):
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    card.pop("cam", None)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / SHIPPED_MODEL.name).symlink_to(SHIPPED_MODEL.resolve())
    (folder / SHIPPED_MODEL.with_suffix(".json").name).write_text(json.dumps(card))
    app = make_app(MODEL_PATH=str(folder / SHIPPED_MODEL.name))
    app.test_client_class = ApiClient
    body = predict(app.test_client(), cat_photo, explain="true").get_json()
    assert body["explanation"] is None
    assert body["explanation_unavailable"] == "model_without_activation_map"


def test_openapi_documents_explain_and_the_explanation(client):
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert schemas["Upload"]["properties"]["explain"]["type"] == "string"
    assert set(schemas["Explanation"]["properties"]) == {
        "class",
        "grid",
        "logits",
        "where",
        "overlay",
        "size",
    }
