"""The canary's guards: Wilson bounds, the sliding window, the minimum samples, each guard."""

import pytest

from catsdogs.monitoring.canary_guards import (
    CanaryFigures,
    Limits,
    Window,
    evaluate,
    p95,
    wilson_bounds,
)

LIMITS = Limits(min_answers=30, min_votes=10)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def figures(clock=None, limits=LIMITS) -> CanaryFigures:
    return CanaryFigures(limits, clock or Clock())


def answer(figures, role, count, seconds=0.01, unsure=False):
    for _ in range(count):
        figures.answered(role, seconds, unsure)


def guards(figures) -> list[str]:
    return [trip.guard for trip in evaluate(figures.summary(), figures.limits)]


@pytest.mark.parametrize(
    ("events", "trials", "low", "high"),
    [  # values from the Wilson score interval's formula, z = 1.96 (e.g. R's prop.test w/o cc)
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (1, 100, 0.0018, 0.0545),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_bounds_match_the_formula(events, trials, low, high):
    assert wilson_bounds(events, trials) == pytest.approx((low, high), abs=1e-4)


def test_wilson_bounds_without_trials_say_nothing():
    assert wilson_bounds(0, 0) == (0.0, 1.0)


def test_p95_is_the_nearest_rank():
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0


def test_the_window_forgets_what_is_older_than_its_seconds():
    clock = Clock()
    window = Window(120, clock)
    window.add("old")
    clock.now += 60
    window.add("recent")
    assert window.values() == ["old", "recent"]
    clock.now += 61
    assert window.values() == ["recent"]
    clock.now += 60
    assert window.values() == []


def test_a_canary_that_disagrees_everywhere_trips_once_the_minimum_is_reached():
    seen = figures()
    answer(seen, "champion", 200)
    answer(seen, "canary", 40)
    for _ in range(LIMITS.min_answers - 1):
        seen.compare(disagree=True)
    assert guards(seen) == []  # 29 comparisons: too few to judge, however bad
    seen.compare(disagree=True)
    assert guards(seen) == ["disagreement"]
    [trip] = evaluate(seen.summary(), LIMITS)
    assert "disagrees on 30 of 30 photos (100.0%, at most 10.0%)" in trip.detail


def test_a_single_failed_answer_never_trips():
    seen = figures()
    seen.failed("canary")
    assert seen.summary()["roles"]["canary"] == {
        "answers": 1, "errors": 1, "unsure": 0, "p95_seconds": None, "votes": 0, "wrong_votes": 0
    }  # fmt: skip
    assert guards(seen) == []


def test_errors_trip_above_their_rate_not_at_it():
    seen = figures(limits=Limits(min_answers=20, max_error_rate=0.05))
    answer(seen, "canary", 19)
    seen.failed("canary")  # 1 of 20: 5%, not above
    assert guards(seen) == []
    seen.failed("canary")  # 2 of 21
    assert guards(seen) == ["errors"]


def test_latency_is_judged_against_the_champions_in_the_same_window():
    seen = figures()
    answer(seen, "champion", 100, seconds=0.200)  # a busy machine: everyone is slow
    answer(seen, "canary", 30, seconds=0.300)
    assert guards(seen) == []
    answer(seen, "canary", 30, seconds=0.700)  # its p95 now 3.5 times the champion's
    assert guards(seen) == ["latency"]


def test_unsure_counts_against_the_champions_share():
    seen = figures()
    answer(seen, "champion", 80)
    answer(seen, "champion", 20, unsure=True)  # 20%
    answer(seen, "canary", 27)
    answer(seen, "canary", 13, unsure=True)  # 32.5%: 12.5 points more
    assert guards(seen) == ["unsure"]


def test_wrong_votes_need_enough_votes_and_a_lower_bound_above_the_champions_rate():
    seen = figures()
    for wrong in [True] * 2 + [False] * 48:
        seen.voted("champion", wrong)  # 4% wrong
    for _ in range(9):
        seen.voted("canary", True)
    assert guards(seen) == []  # 9 votes, all wrong: too few
    seen.voted("canary", False)
    assert guards(seen) == ["wrong_votes"]  # 9 of 10: lower bound ~60%


def test_a_few_wrong_votes_within_chance_do_not_trip():
    seen = figures()
    for wrong in [True] * 5 + [False] * 95:
        seen.voted("champion", wrong)  # 5%
    for wrong in [True] * 2 + [False] * 10:
        seen.voted("canary", wrong)  # 17%, lower bound ~4.7%
    assert guards(seen) == []


def test_old_answers_leave_the_window_and_their_trip_with_them():
    clock = Clock()
    seen = figures(clock)
    answer(seen, "champion", 100)
    answer(seen, "canary", 40)
    for _ in range(40):
        seen.compare(disagree=True)
    assert guards(seen) == ["disagreement"]
    clock.now += LIMITS.window + 1
    assert guards(seen) == []
    assert seen.summary()["compared"] == 0


def test_clear_starts_a_new_canary_afresh():
    seen = figures()
    answer(seen, "canary", 40)
    seen.voted("canary", True)
    seen.clear()
    assert seen.summary()["roles"]["canary"]["answers"] == 0
    assert seen.summary()["roles"]["canary"]["votes"] == 0
