"""The shipped card's reference profile gives the detector's score a drift score."""

from prometheus_client import CollectorRegistry

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.monitoring import model_health, reference
from catsdogs.serving.classifier import Classifier
from tests.helpers import image_bytes


def test_the_shipped_card_scores_the_detectors_drift():
    card = ModelCard.for_model(SHIPPED_MODEL)
    expected = reference.signals_of(card)
    assert expected["neither_score"] == card.data["reference_profile"]["signals"]["neither_score"]
    classifier = Classifier(card)
    health = model_health.ModelHealth(CollectorRegistry(), window=2, feedback_days=7)
    for color in ((200, 150, 90), (20, 60, 160)):
        health.observe(classifier.predict(image_bytes(size=(180, 180), fmt="JPEG", color=color)))
    summary = health.status(card.model_version)["signals"]
    assert summary["neither_score"]["count"] == 2
    assert summary["neither_score"]["psi"] >= 0
    # The share answered neither keeps the test split's figure, not the profile's.
    refused = card.data["neither"]["test"]["refused_pets"]
    assert expected["neither"]["shares"] == [1 - refused, refused]
