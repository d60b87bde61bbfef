"""What a model's card says to expect: its reference profile, its test figures, and the share of
its answers that should be "not a cat or a dog"."""

from catsdogs.card import ModelCard
from catsdogs.monitoring.signals import BY_NAME

# Estimated accuracy is the mean confidence: right only for a calibrated model (NannyML's
# confidence-based performance estimation rests on the same condition).
ESTIMATE_MAX_ECE = 0.03
# The most pets a detector may refuse (issue 28's limit): what a card that names a detector but
# states no test figure for it is held to.
DEFAULT_NEITHER_SHARE = 0.01


def card_figure(card: ModelCard | None, name: str) -> float | None:
    """A test-split figure of the card (accuracy, expected_calibration_error), if stated."""
    value = (card.data if card else {}).get("evaluation", {}).get("test", {}).get(name)
    return float(value) if value is not None else None


def estimate_allowed(card: ModelCard | None) -> bool:
    """Whether mean confidence may stand for accuracy: the card's ECE is known and small."""
    ece = card_figure(card, "expected_calibration_error")
    return ece is not None and ece <= ESTIMATE_MAX_ECE


def expected_neither_share(card: ModelCard | None) -> float | None:
    """The share of answers expected to be "not a cat or a dog", None for a model without a
    detector: the share of the test split's pets its card says it refused, else 1%.

    The test split's, not the validation split's of the reference profile: that split set the
    threshold, so it reads the share the threshold was chosen for, not what it does on new pets.
    """
    if card is None or card.neither_output is None:
        return None
    stated = card.data.get("neither", {}).get("test", {}).get("refused_pets")
    return float(stated) if stated is not None else DEFAULT_NEITHER_SHARE


def signals_of(card: ModelCard | None) -> dict | None:
    """Each signal's reference shares: the card's profile, and the expected share of "not a cat
    or a dog" for a model with a detector; None when there is neither."""
    profile = (card.data if card else {}).get("reference_profile")
    reference = dict(profile["signals"]) if profile else {}
    expected = expected_neither_share(card)
    if expected is not None:
        reference["neither"] = {"bins": BY_NAME["neither"].bins, "shares": [1 - expected, expected]}
    return reference or None
