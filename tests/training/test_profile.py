"""The reference profile: the detector's score joins it for a model that has one."""

import numpy as np
import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard, profile_problem
from catsdogs.monitoring import signals
from catsdogs.serving.classifier import Classifier
from catsdogs.store.petimages import Dataset, Split
from catsdogs.training import profile
from tests.helpers import image_bytes
from tests.monitoring import detector

DETECTOR = [signal.name for signal in signals.DETECTOR]  # neither, neither_score


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> tuple[Dataset, Split]:
    """Six generated photos in the PetImages layout, of varied colours and sizes."""
    root = tmp_path_factory.mktemp("data") / "PetImages"
    split = Split()
    for index in range(6):
        label = ("Cat", "Dog")[index % 2]
        (root / label).mkdir(parents=True, exist_ok=True)
        name = f"{label}/{index}.jpg"
        color, size = (40 * index, 255 - 40 * index, 30 + 20 * index), (150 + 20 * index, 180)
        (root / name).write_bytes(image_bytes(size=size, fmt="JPEG", color=color))
        split.files.append(f"PetImages/{name}")
        split.labels.append(index % 2)
    return Dataset(root.parent), split


def profile_of(model, photos) -> dict:
    card = ModelCard.for_model(model)
    dataset, split = photos
    return profile.compute(
        dataset,
        split,
        model,
        card.input_size[0],
        card.resize_method,
        card.threshold,
        card.neither_output,
        card.neither_above,
    )


def test_a_model_with_a_detector_is_profiled_with_its_score(tmp_path, photos):
    model = detector.with_detector(tmp_path)
    found = profile_of(model, photos)
    assert problem_free(found)
    # The share answered neither is judged against the card's test figure, never the profile's.
    assert list(found["signals"])[-2:] == ["format", "neither_score"]
    score = found["signals"]["neither_score"]
    assert sum(score["shares"]) == pytest.approx(1, abs=1e-5)
    # As serving scores the same photos: the stand-in's score is the cat probability.
    dataset, split = photos
    classifier = Classifier(ModelCard.for_model(model))
    served = [classifier.predict(dataset.read(name)) for name in split.files]
    ratios = [answer.neither_score / detector.THRESHOLD for answer in served]
    assert score["mean"] == pytest.approx(np.mean(ratios), abs=1e-5)
    # Above 1, the last three bins, is where serving refuses: the same photos.
    refused = np.mean([answer.neither for answer in served])
    assert sum(score["shares"][-3:]) == pytest.approx(refused, abs=1e-5)


def test_a_model_without_a_detector_has_no_detector_signals(tmp_path, photos):
    found = profile_of(detector.without_detector(tmp_path), photos)
    assert problem_free(found)
    assert not set(DETECTOR) & set(found["signals"])
    assert list(found["signals"]) == [signal.name for signal in signals.SIGNALS]


def test_signals_no_prediction_has_are_left_out():
    rows = [{"class": "cat"}, {"class": "dog", "neither": "no", "neither_score": 0.45}]
    found = profile.summarise(rows)["signals"]
    assert list(found) == ["class", "neither_score"]
    assert found["neither_score"]["shares"][2] == 1  # of the one row that has it
    assert found["neither_score"]["mean"] == 0.45


def test_the_shipped_card_profiles_the_detectors_score():
    card = ModelCard.for_model(SHIPPED_MODEL)
    reference = card.data["reference_profile"]
    assert problem_free(reference)
    score = reference["signals"]["neither_score"]
    assert score["bins"] == signals.BY_NAME["neither_score"].bins
    assert sum(score["shares"]) == pytest.approx(1, abs=1e-3)
    # Pets: most of them well below the threshold, few above it, as the card's own figures say.
    assert 0.3 < score["mean"] < 0.8
    assert sum(score["shares"][-3:]) < 0.02  # above 1: refused
    assert "neither" not in reference["signals"]


def problem_free(found: dict) -> bool:
    return profile_problem(found) is None
