"""The classifier: an ONNX Runtime session configured and checked from its model card."""

import shutil

import pytest

from catsdogs.card import SHIPPED_MODEL, CardError
from catsdogs.serving.classifier import load_classifier
from tests.helpers import image_bytes


@pytest.mark.parametrize(
    "mode, fmt",
    [
        ("RGB", "JPEG"),
        ("L", "PNG"),
        ("1", "BMP"),
        ("P", "GIF"),
        ("RGBA", "WEBP"),
        ("CMYK", "JPEG"),
        ("I;16", "PNG"),
        ("LA", "PNG"),
        ("RGB", "TIFF"),
    ],
)
def test_every_mode_gets_a_prediction(classifier, mode, fmt):
    prediction = classifier.predict(image_bytes(mode, (50, 30), fmt))
    assert prediction.label in ("cat", "dog")
    assert sum(prediction.probabilities.values()) == pytest.approx(1, abs=1e-5)
    assert prediction.decode_ms >= 0 and prediction.inference_ms > 0


def test_a_prediction_names_the_likelier_class_and_the_model_version(classifier):
    prediction = classifier.predict(image_bytes(size=(120, 90)))
    card = classifier.card
    dog_wins = prediction.probabilities["dog"] >= card.threshold
    assert prediction.label == ("dog" if dog_wins else "cat")
    assert prediction.confidence == prediction.probabilities[prediction.label]
    assert prediction.model_version == classifier.model_version == card.model_version
    stages = prediction.decode_ms + prediction.preprocess_ms + prediction.inference_ms
    assert prediction.total_ms == pytest.approx(stages)


def test_a_model_file_onnx_runtime_cannot_read_is_a_card_error(tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"not an onnx graph")
    shutil.copy(SHIPPED_MODEL.with_suffix(".json"), model.with_suffix(".json"))
    with pytest.raises(CardError, match="cannot load model"):
        load_classifier(str(model))
