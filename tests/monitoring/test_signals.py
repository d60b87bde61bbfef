"""What a photo looks like to model health: its statistics and the fixed bins they fall in."""

import io

import numpy as np
import pytest
from PIL import Image

from catsdogs.serving import imaging

from catsdogs.monitoring import signals
from tests.helpers import image_bytes


def pixels(color, size=(224, 224)) -> np.ndarray:
    return np.full((size[1], size[0], 3), color, np.uint8)


def test_a_gray_photo_is_grayscale_and_unsaturated():
    values = signals.describe_image(pixels((128, 128, 128)), "JPEG", (640, 480))
    assert values["grayscale"] == "yes" and values["saturation"] == 0
    assert values["brightness"] == pytest.approx(128 / 255, abs=1e-3)
    assert values["contrast"] == pytest.approx(0, abs=1e-6)
    assert (values["width"], values["height"], values["aspect_ratio"]) == (640, 480, 640 / 480)


def test_a_red_photo_is_saturated_and_a_black_one_dark():
    red = signals.describe_image(pixels((255, 0, 0)), "PNG", (10, 10))
    assert red["saturation"] == 1 and red["grayscale"] == "no" and red["format"] == "PNG"
    assert signals.describe_image(pixels((0, 0, 0)), "PNG", (10, 10))["brightness"] == 0


def test_pixels_sent_as_a_tensor_have_no_size_and_their_own_format():
    values = signals.describe_image(pixels((10, 20, 30)), "pixels", None)
    assert values["format"] == "pixels" and "width" not in values


def test_values_fall_in_fixed_bins_edges_included_below():
    brightness = signals.BY_NAME["brightness"]
    assert brightness.bin(0.0) == 0 and brightness.bin(0.2) == 0 and brightness.bin(0.21) == 1
    assert brightness.bin(0.99) == len(brightness.bins) - 1
    assert signals.BY_NAME["format"].bin("JPEG2000") == signals.FORMATS.index("other")
    assert signals.BY_NAME["class"].bins == ["cat", "dog"]


def test_the_answer_entropy_is_in_bits():
    sure = signals.describe_answer({"cat": 1.0, "dog": 0.0}, "cat")
    torn = signals.describe_answer({"cat": 0.5, "dog": 0.5}, "dog")
    assert sure["entropy"] == 0 and torn["entropy"] == pytest.approx(1)
    assert torn["class"] == "dog" and torn["confidence"] == 0.5


def test_a_large_jpeg_reports_its_own_size_not_the_scaled_decode(classifier):
    photo = image_bytes(size=(4032, 3024), fmt="JPEG", color=(200, 40, 40))
    prediction = classifier.predict(photo)
    assert prediction.inputs["width"] == 4032 and prediction.inputs["height"] == 3024
    assert prediction.inputs["format"] == "JPEG" and prediction.card is classifier.card


def test_a_photo_turned_by_exif_reports_its_upright_size():
    image = Image.new("RGB", (300, 200), (10, 200, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    decoded, source = imaging.decode_with_source(buffer.getvalue(), (224, 224))
    assert source == imaging.Source("JPEG", (200, 300)) and decoded.size == (200, 300)


def test_the_detector_is_described_by_its_answer_and_its_score_over_the_threshold():
    assert signals.describe_detector(True, 7500.0, 5000.0) == {
        "neither": "yes",
        "neither_score": 1.5,
    }
    assert signals.describe_detector(False, 2500.0, 5000.0)["neither"] == "no"
    # At the threshold the answer is still a class: the bin of 1 holds it, not the one above.
    score = signals.BY_NAME["neither_score"]
    assert score.bins[score.bin(1.0)] == "<=1" and score.bins[score.bin(1.01)] == "<=1.25"


def test_a_model_without_a_detector_has_no_detector_signal_and_a_bad_threshold_no_score():
    assert signals.describe_detector(False, None, 5000.0) == {}
    assert signals.describe_detector(True, 3.0, 0.0) == {"neither": "yes"}
    assert signals.describe_detector(True, 3.0, float("inf")) == {"neither": "yes"}
    assert {s.name for s in signals.DETECTOR}.isdisjoint(s.name for s in signals.SIGNALS)
