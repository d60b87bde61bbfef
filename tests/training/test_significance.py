"""McNemar's exact test against the binomial computed another way: exact fractions, summing the
probability of every outcome no more likely than the one observed."""

import math
from fractions import Fraction

import pytest

from catsdogs.training.significance import conclusion, exact_p_value, mcnemar


def no_more_likely(b: int, c: int) -> Fraction:
    """P(an outcome at most as likely as b of b + c) under Binomial(b + c, 1/2), exactly."""
    n = b + c
    observed = math.comb(n, b)
    return sum(Fraction(math.comb(n, k), 2**n) for k in range(n + 1) if math.comb(n, k) <= observed)


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [(0, 6, 0.03125), (6, 0, 0.03125), (5, 5, 1.0), (0, 0, 1.0), (0, 1, 1.0), (3, 0, 0.25)],
)
def test_known_values(b, c, expected):
    assert exact_p_value(b, c) == expected


@pytest.mark.parametrize(("b", "c"), [(10, 25), (25, 10), (1, 9), (40, 41), (7, 30), (12, 13)])
def test_the_exact_binomial_computed_with_fractions(b, c):
    assert exact_p_value(b, c) == pytest.approx(float(min(1, no_more_likely(b, c))), rel=1e-12)


def test_ten_against_twenty_five_is_significant():
    assert exact_p_value(10, 25) == pytest.approx(0.0167, abs=1e-4)


def test_thousands_of_discordant_photos_neither_overflow_nor_lose_the_tail():
    # 2**3000 is no float: the normal approximation (continuity corrected) is close by then.
    b, c = 1400, 1600
    z = (abs(c - b) - 1) / math.sqrt(b + c)
    p = exact_p_value(b, c)
    assert 0 < p < 0.001
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=0.05)
    assert exact_p_value(2500, 2500) == 1.0


def test_only_the_photos_where_exactly_one_model_is_right_count():
    truth = ["cat", "dog", "cat", "dog", "cat", "dog", "dog"]
    champion = ["cat", "dog", "dog", "cat", "cat", "dog", "cat"]  # right on 0, 1, 4, 5
    candidate = ["cat", "cat", "cat", "dog", "dog", "dog", "cat"]  # right on 0, 2, 3, 5

    test = mcnemar(truth, champion, candidate)

    assert test == {
        "champion_only_right": 2,
        "candidate_only_right": 2,
        "p_value": 1.0,
    }  # photo 6: both wrong, not counted


def test_answers_for_other_photos_are_refused():
    with pytest.raises(ValueError, match="same photos"):
        mcnemar(["cat", "dog"], ["cat", "dog"], ["cat"])


@pytest.mark.parametrize(
    ("b", "c", "words"),
    [
        (10, 25, "the candidate is significantly better (p < 0.05)"),
        (25, 10, "the candidate is significantly worse (p < 0.05)"),
        (10, 15, "no significant difference at 0.05"),
    ],
)
def test_the_conclusion_in_words(b, c, words):
    test = {"champion_only_right": b, "candidate_only_right": c, "p_value": exact_p_value(b, c)}
    assert conclusion(test) == words
