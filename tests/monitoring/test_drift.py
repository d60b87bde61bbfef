"""The population stability index of a sliding window against a reference profile."""

import math

import pytest

from catsdogs.monitoring import drift

from catsdogs.monitoring import signals


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift():
    assert drift.psi([0.5, 0.5], [0.5, 0.5]) == 0
    # (0.7 - 0.5) ln(0.7 / 0.5) + (0.3 - 0.5) ln(0.3 / 0.5)
    expected = 0.2 * math.log(1.4) - 0.2 * math.log(0.6)
    assert drift.psi([0.7, 0.3], [0.5, 0.5]) == pytest.approx(expected)
    assert drift.psi([1.0, 0.0], [0.5, 0.5]) > drift.MAJOR


def test_a_bin_the_reference_never_saw_weighs_a_lot_but_stays_finite():
    score = drift.psi([0.5, 0.5], [1.0, 0.0])
    assert math.isfinite(score) and score > 2


@pytest.mark.parametrize(
    ("score", "light"),
    [
        (0.05, "ok"),
        (0.1, "ok"),
        (0.2, "moderate"),
        (0.25, "moderate"),
        (0.3, "major"),
        (None, "unknown"),
    ],
)
def test_the_traffic_light_follows_the_usual_thresholds(score, light):
    assert drift.level(score) == light


def test_the_window_keeps_only_the_last_predictions():
    window = drift.Window(size=2)
    for label in ("cat", "cat", "dog", "dog"):
        window.add({"class": label, "confidence": 0.9})
    summary = window.summary({"class": {"shares": [0.5, 0.5]}})
    assert len(window) == 2
    assert summary["class"]["shares"] == [0.0, 1.0] and summary["class"]["psi"] > drift.MAJOR
    assert summary["confidence"]["mean"] == pytest.approx(0.9)
    assert "psi" not in summary["confidence"]  # no reference for it


def test_a_reference_with_other_bins_gives_no_score():
    window = drift.Window(size=5)
    window.add({"format": "PNG"})
    summary = window.summary({"format": {"shares": [1.0]}})
    assert "psi" not in summary["format"]
    assert len(summary["format"]["shares"]) == len(signals.BY_NAME["format"].bins)
