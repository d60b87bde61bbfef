"""The retrain gate as a pure function of the two models' figures."""

from catsdogs.training.gate import judge


def figures(test: float, holdout: float | None, holdout_images: int = 50) -> dict:
    return {
        "test": {"accuracy": test, "images": 2400},
        "holdout": {"accuracy": holdout, "images": holdout_images if holdout is not None else 0},
    }


def test_a_candidate_as_good_on_both_sets_passes():
    verdict = judge(figures(0.985, 0.90), figures(0.985, 0.90))
    assert verdict.passed and not verdict.warnings
    assert "hold-out accuracy 90.00% against the champion's 90.00%" in verdict.summary()


def test_a_candidate_up_to_0_3_point_below_on_the_test_split_passes():
    assert judge(figures(0.985, 0.90), figures(0.982, 0.94)).passed


def test_a_candidate_more_than_0_3_point_below_on_the_test_split_is_refused():
    verdict = judge(figures(0.985, 0.90), figures(0.9815, 1.0))
    assert not verdict.passed
    assert "0.35 points below the champion's 98.50%" in verdict.reasons[0]


def test_a_candidate_below_the_champion_on_the_hold_out_is_refused():
    verdict = judge(figures(0.985, 0.92), figures(0.99, 0.90))
    assert not verdict.passed
    assert verdict.reasons[1] == (
        "feedback hold-out accuracy 90.00% is below the champion's 92.00% on 50 photos"
    )


def test_an_empty_hold_out_passes_saying_what_was_compared():
    verdict = judge(figures(0.985, None), figures(0.985, None))
    assert verdict.passed
    assert verdict.warnings == (
        "the feedback hold-out is empty: the two models were compared on the 2,400 photos of "
        "the base test split alone, on no reviewed photo (one in five is held out: review more "
        "photos and retrain to compare them on yours)",
    )
    assert verdict.summary() == (
        "passed: base test accuracy 98.50% against the champion's 98.50% on 2,400 photos "
        "(+0.00 points, at least -0.3); feedback hold-out empty: not compared"
    )
    assert not judge(figures(0.985, None), figures(0.97, None)).passed
