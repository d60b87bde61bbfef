"""create_app: the blueprints it registers and the model it serves."""

import collections
import shutil

from catsdogs import serving
from catsdogs.card import SHIPPED_MODEL
from tests.helpers import AUTH

BLUEPRINTS = {"web", "monitoring_page", "predict", "feedback", "monitoring", "inference_protocol"}


def test_each_blueprint_is_registered_once(app):
    assert BLUEPRINTS <= set(app.blueprints)
    endpoints = {rule.endpoint.partition(".")[0] for rule in app.url_map.iter_rules()}
    assert BLUEPRINTS <= endpoints  # each one routes something
    routes = collections.Counter(
        (rule.rule, frozenset(rule.methods)) for rule in app.url_map.iter_rules()
    )
    assert [route for route, count in routes.items() if count > 1] == []


def test_the_classifier_passed_in_is_the_one_served(app, classifier):
    assert serving.parts(app).classifier is classifier
    health = app.test_client().get("/health", headers=AUTH).get_json()
    assert health["model"]["version"] == classifier.model_version


def test_each_app_loads_the_model_of_its_settings(make_app, tmp_path):
    copied = tmp_path / "copy.onnx"
    shutil.copy(SHIPPED_MODEL, copied)
    shutil.copy(SHIPPED_MODEL.with_suffix(".json"), copied.with_suffix(".json"))
    first, second = make_app(MODEL_PATH=str(copied)), make_app(MODEL_PATH=str(copied))
    assert serving.parts(first).classifier.card.model_path == copied
    mine, theirs = serving.parts(first).classifier, serving.parts(second).classifier
    assert mine is not theirs  # no process-wide cache
