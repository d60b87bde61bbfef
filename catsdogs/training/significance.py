"""McNemar's exact test: is the candidate right more often than the champion on the same photos,
beyond what chance would give? Only the photos where exactly one of them is right count."""

from collections.abc import Sequence

SIGNIFICANCE = 0.05  # the level an acceptance asks for: "p < 0.05"


def mcnemar(truth: Sequence, champion: Sequence, candidate: Sequence) -> dict:
    """The photos only the champion gets right (b), only the candidate (c), and the two-sided
    exact p-value that they are equally likely to be right; the three sequences align."""
    if not len(truth) == len(champion) == len(candidate):
        raise ValueError("truth and both models' answers must cover the same photos")
    b = sum(a == t != n for t, a, n in zip(truth, champion, candidate, strict=True))
    c = sum(n == t != a for t, a, n in zip(truth, champion, candidate, strict=True))
    return {"champion_only_right": b, "candidate_only_right": c, "p_value": exact_p_value(b, c)}


def exact_p_value(b: int, c: int) -> float:
    """min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2); 1 when b + c = 0."""
    n = b + c
    if n == 0:
        return 1.0
    # Integers throughout: 2**n stays exact where a float would overflow, and the one
    # division rounds once. Each coefficient comes from the last: comb() anew is quadratic.
    tail = term = 1
    for k in range(min(b, c)):
        term = term * (n - k) // (k + 1)
        tail += term
    return min(1.0, 2 * tail / 2**n)


def conclusion(test: dict) -> str:
    """What the test says of the candidate, in words, at the SIGNIFICANCE level."""
    b, c = test["champion_only_right"], test["candidate_only_right"]
    if test["p_value"] >= SIGNIFICANCE:
        return f"no significant difference at {SIGNIFICANCE}"
    return f"the candidate is significantly {'better' if c > b else 'worse'} (p < {SIGNIFICANCE})"
