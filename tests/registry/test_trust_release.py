"""The model that says "not a cat or a dog" reaches service through the registry's own path.

The previous packaged model is the champion; the packaged one (the same weights with the
detector) is gated against it, registered as challenger and shadowed, promoted by a person, and
then answers neither for a drawing; a rollback brings back the previous model, which never does.
"""

import io
import shutil

import pytest
from PIL import Image, ImageDraw

from catsdogs import serving
from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.extensions import db
from catsdogs.registry import lifecycle
from catsdogs.serving.classifier import load_classifier
from catsdogs.store.tables import Prediction
from catsdogs.training.__main__ import main
from tests.helpers import AUTH, DATASET

PREVIOUS = SHIPPED_MODEL.parent / "previous" / SHIPPED_MODEL.name
pytestmark = [
    pytest.mark.system,  # a real MLflow server, and both models over the 2,400 test photos
    pytest.mark.one_database,  # the registry's path, whatever stores the rows
    pytest.mark.skipif(not DATASET.exists(), reason=f"{DATASET} is absent: the gate needs it"),
]


def drawing() -> bytes:
    """Geometric shapes on paper: no one's cat or dog."""
    image = Image.new("RGB", (320, 240), (250, 250, 240))
    pen = ImageDraw.Draw(image)
    pen.rectangle((20, 30, 140, 150), fill=(220, 40, 40))
    pen.ellipse((160, 40, 300, 180), fill=(40, 90, 220))
    pen.polygon([(60, 220), (160, 160), (260, 220)], fill=(30, 160, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def service(registry, make_app, monkeypatch):
    """The app following the registry, with every photo shadowed; the training commands and
    `flask models` see the same registry."""
    for name, value in {
        "MLFLOW_TRACKING_URI": registry.tracking_uri,
        "MLFLOW_MODEL_NAME": registry.name,
        "USER": "release-test",
    }.items():
        monkeypatch.setenv(name, value)
    app = make_app(
        MLFLOW_TRACKING_URI=registry.tracking_uri,
        MLFLOW_MODEL_NAME=registry.name,
        SHADOW_SAMPLE=1.0,
        RATELIMIT_ENABLED=False,
    )
    return app, app.test_client(), app.test_cli_runner()


def predict(client, photo: bytes, name: str) -> dict:
    response = client.post("/api/predict", headers=AUTH, data={"file": (io.BytesIO(photo), name)})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def reload(client) -> dict:
    return client.post("/api/model/reload", headers=AUTH).get_json()


def test_the_detector_ships_through_gate_shadow_promotion_and_rollback(
    service, registry, tmp_path, cat_photo
):
    app, client, cli = service
    old, new = ModelCard.for_model(PREVIOUS), ModelCard.for_model(SHIPPED_MODEL)
    assert old.neither_output is None and new.neither_output == "neither_score"
    shapes = drawing()
    assert load_classifier(str(SHIPPED_MODEL)).predict(shapes).neither_score > new.neither_above

    # The previous model is the champion.
    assert main(["log", str(PREVIOUS), "--data", str(DATASET)]) == 0
    [champion] = registry.versions()
    result = cli.invoke(args=["models", "promote", champion.registry_version, "--reason", "old"])
    assert result.exit_code == 0, result.output
    assert reload(client)["serving"]["version"] == old.model_version
    before = predict(client, shapes, "shapes.png")
    assert (before["neither"], before["neither_score"]) == (False, None)

    # The packaged model is gated against it (no reviewed photos yet: the test split decides)
    # and becomes the challenger.
    feedback = tmp_path / "feedback"
    result = cli.invoke(args=["dataset", "export", "--out", str(feedback), "--allow-empty"])
    assert result.exit_code == 0, result.output
    candidate = tmp_path / "candidate" / SHIPPED_MODEL.name
    candidate.parent.mkdir()
    for suffix in (".onnx", ".json", ".md"):
        shutil.copyfile(SHIPPED_MODEL.with_suffix(suffix), candidate.with_suffix(suffix))
    assert main(["gate", "--candidate", str(candidate), "--feedback", str(feedback),
                 "--data", str(DATASET)]) == 0  # fmt: skip
    assert "**Gate: PASSED**" in (candidate.parent / "comparison.md").read_text()
    challenger = registry.by_alias(lifecycle.CHALLENGER)
    assert challenger.model_version == new.model_version
    assert reload(client)["shadow"]["version"] == new.model_version

    # In the shadows it reads every photo beside the champion, which alone answers.
    answer = predict(client, cat_photo, "cat.jpg")
    assert answer["model_version"] == old.model_version
    serving.parts(app).shadow.drain()
    with app.app_context():
        row = db.session.get(Prediction, answer["id"])
        assert (row.shadow_model_version, row.shadow_result) == (new.model_version, "cat")

    # A person promotes it: a drawing is now neither, a cat still a cat.
    number = challenger.registry_version
    result = cli.invoke(args=["models", "promote", number, "--reason", "says neither"])
    assert result.exit_code == 0, result.output
    assert reload(client)["serving"]["version"] == new.model_version
    refused = predict(client, shapes, "shapes.png")
    assert refused["neither"] is True and refused["neither_score"] > new.neither_above
    assert refused["model_version"] == new.model_version
    cat = predict(client, cat_photo, "cat.jpg")
    assert (cat["prediction"], cat["neither"]) == ("cat", False)
    assert cat["neither_score"] <= new.neither_above

    # Rolled back, the previous model serves again and never says neither.
    result = cli.invoke(args=["models", "rollback", "--reason", "back to the old one"])
    assert result.exit_code == 0, result.output
    assert reload(client)["serving"]["version"] == old.model_version
    again = predict(client, shapes, "shapes.png")
    assert (again["neither"], again["neither_score"]) == (False, None)
    assert again["model_version"] == old.model_version
    assert predict(client, cat_photo, "cat.jpg")["prediction"] == "cat"
