"""What a card says model health should expect, "not a cat or a dog" included."""

import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.monitoring import reference
from tests.monitoring import detector


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("cards")


def test_a_detector_is_expected_to_refuse_the_share_of_test_pets_its_card_states(folder):
    card = ModelCard.for_model(detector.with_detector(folder))
    assert reference.expected_neither_share(card) == detector.REFUSED_PETS
    signals = reference.signals_of(card)
    assert signals["neither"]["shares"] == [1 - detector.REFUSED_PETS, detector.REFUSED_PETS]
    assert signals["class"] == card.data["reference_profile"]["signals"]["class"]


def test_a_card_without_the_test_figure_is_held_to_one_percent(folder):
    card = ModelCard.for_model(detector.with_detector(folder, test_figures=False))
    assert reference.expected_neither_share(card) == reference.DEFAULT_NEITHER_SHARE == 0.01


def test_without_a_detector_nothing_is_expected_of_neither(folder):
    card = ModelCard.for_model(detector.without_detector(folder))
    assert reference.expected_neither_share(card) is None
    assert "neither" not in reference.signals_of(card)
    assert reference.expected_neither_share(None) is None and reference.signals_of(None) is None


def test_the_card_figures_come_from_its_test_split():
    card = ModelCard.for_model(SHIPPED_MODEL)
    assert reference.card_figure(card, "accuracy") == card.data["evaluation"]["test"]["accuracy"]
    assert reference.card_figure(card, "no_such_figure") is None
    assert reference.estimate_allowed(card)
