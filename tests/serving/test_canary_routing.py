"""The page, the JSON API and /v2 route a client to the canary alike, and everything that
answer leaves behind (response, row, metrics) names the version that gave it."""

import base64
import io

import pytest
from prometheus_client.parser import text_string_to_metric_families

from catsdogs import serving
from catsdogs.registry.canary import CanarySetting
from catsdogs.serving.canary import routed
from catsdogs.serving.classifier import load_classifier
from catsdogs.serving.served_models import Served
from catsdogs.store import records
from tests.registry import model_versions

NAMES = [f"client-{n}" for n in range(500)]
INSIDE = next(name for name in NAMES if routed(f"token:{name}", 10))
OUTSIDE = next(name for name in NAMES if not routed(f"token:{name}", 10))
TOKENS = {INSIDE: "inside-token-0123456789", OUTSIDE: "outside-token-0123456789"}


@pytest.fixture
def canary_app(make_app, tmp_path):
    """An app whose challenger, the damped model (2.0.0-damped), answers 10% of clients."""
    app = make_app(API_TOKENS=TOKENS, RATELIMIT_ENABLED=False)
    damped = load_classifier(model_versions.damped(tmp_path / "damped") / "catsdogs.onnx")
    models = serving.parts(app).models
    models.challenger = Served(damped, "2")
    models.canary.follow(CanarySetting("2", 10, "alice", "routing test", "now"), models.challenger)
    return app


def bearer(name: str) -> dict:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def metric(app, name: str, **labels) -> float:
    text = app.test_client().get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def test_the_api_answers_each_client_with_its_model_and_stores_who_answered(
    canary_app, cat_photo, classifier
):
    client = canary_app.test_client()
    answers = {}
    for name in (INSIDE, OUTSIDE):
        for _ in range(2):  # the same client meets the same model every time
            response = client.post(
                "/api/predict",
                headers=bearer(name),
                data={"file": (io.BytesIO(cat_photo), "cat.jpg"), "rgpd_consent": "true"},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            answers.setdefault(name, set()).add(response.json["model_version"])
            body = response.json
    assert answers == {INSIDE: {"2.0.0-damped"}, OUTSIDE: {classifier.model_version}}
    damped = serving.parts(canary_app).models.challenger.classifier
    with canary_app.app_context():
        rows = records.recent(10, 0)
    assert sorted(row.model_version for row in rows) == sorted(
        ["2.0.0-damped"] * 2 + [classifier.model_version] * 2
    )
    expected = classifier.predict(cat_photo).probabilities  # the last answer: the champion's
    assert body["probabilities"] == pytest.approx(expected, abs=1e-5)
    canary_row = next(row for row in rows if row.model_version == "2.0.0-damped")
    assert canary_row.proba_cat == pytest.approx(damped.predict(cat_photo).probabilities["cat"])
    assert metric(canary_app, "cv_predictions_total", version="2.0.0-damped") == 2
    assert metric(canary_app, "cv_canary_answers_total", role="canary") == 2
    assert metric(canary_app, "cv_canary_answers_total", role="champion") == 2


def test_v2_routes_the_token_as_the_api_does(canary_app, cat_photo, classifier):
    request = {
        "inputs": [
            {
                "name": "image_bytes",
                "datatype": "BYTES",
                "shape": [1],
                "data": [base64.b64encode(cat_photo).decode()],
            }
        ]
    }
    client = canary_app.test_client()
    inside = client.post("/v2/models/catsdogs/infer", json=request, headers=bearer(INSIDE))
    outside = client.post("/v2/models/catsdogs/infer", json=request, headers=bearer(OUTSIDE))
    assert inside.json["model_version"] == "2.0.0-damped"
    assert outside.json["model_version"] == classifier.model_version
    named = client.post(  # a path naming the champion's version gets the champion
        f"/v2/models/catsdogs/versions/{classifier.model_version}/infer",
        json=request,
        headers=bearer(INSIDE),
    )
    assert named.json["model_version"] == classifier.model_version


def test_the_page_routes_by_the_client_address(canary_app, cat_photo):
    models = serving.parts(canary_app).models
    everyone = CanarySetting("2", 100, "alice", "everyone", "later")
    models.canary.follow(everyone, models.challenger)
    canary_app.config["WTF_CSRF_ENABLED"] = False
    page = canary_app.test_client().post(
        "/classify", data={"file": (io.BytesIO(cat_photo), "cat.jpg")}
    )
    assert page.status_code == 200
    assert "2.0.0-damped" in page.text
    assert metric(canary_app, "cv_canary_answers_total", role="canary") == 1


def test_after_a_trip_every_client_meets_the_champion(canary_app, cat_photo, classifier):
    serving.parts(canary_app).models.canary.trip("disagreement: test")
    response = canary_app.test_client().post(
        "/api/predict",
        headers=bearer(INSIDE),
        data={"file": (io.BytesIO(cat_photo), "cat.jpg")},
    )
    assert response.json["model_version"] == classifier.model_version
