"""The retrain gate: may a candidate become the challenger? A pure function of figures.

The candidate must be no more than 0.3 point below the champion on the base test split (the
promotion rule of catsdogs/registry/lifecycle.py) and not below it on the held-out feedback photos.
"""

from dataclasses import dataclass

from catsdogs.registry.lifecycle import MAX_ACCURACY_DROP

EPSILON = 1e-9  # accuracies are rounded ratios: equal ones must compare equal


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: tuple[str, ...]  # why it passed or was refused, one line each
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        return ("passed" if self.passed else "refused") + ": " + "; ".join(self.reasons)


def judge(champion: dict, candidate: dict) -> Verdict:
    """`champion` and `candidate` are {"test": figures, "holdout": figures}; figures hold
    "accuracy" and "images" (0 images: an empty hold-out).

    An empty hold-out passes with a warning that says what was compared: the base test split
    still guards against a worse model, and refusing would block every retrain until enough
    photos were reviewed.
    """
    reasons, refused, warnings = [], False, []
    mine, theirs = candidate["test"]["accuracy"], champion["test"]["accuracy"]
    drop, tested = theirs - mine, candidate["test"]["images"]
    if drop > MAX_ACCURACY_DROP + EPSILON:
        refused = True
        reasons.append(
            f"base test accuracy {mine:.2%} is {100 * drop:.2f} points below the champion's "
            f"{theirs:.2%} on {tested:,} photos (at most {100 * MAX_ACCURACY_DROP:.1f})"
        )
    else:
        reasons.append(
            f"base test accuracy {mine:.2%} against the champion's {theirs:.2%} on {tested:,} "
            f"photos ({100 * (mine - theirs):+.2f} points, at least -{100 * MAX_ACCURACY_DROP:.1f})"
        )
    if not candidate["holdout"]["images"]:
        warnings.append(
            f"the feedback hold-out is empty: the two models were compared on the {tested:,} "
            "photos of the base test split alone, on no reviewed photo (one in five is held "
            "out: review more photos and retrain to compare them on yours)"
        )
        reasons.append("feedback hold-out empty: not compared")
    else:
        mine, theirs = candidate["holdout"]["accuracy"], champion["holdout"]["accuracy"]
        images = candidate["holdout"]["images"]
        if mine < theirs - EPSILON:
            refused = True
            reasons.append(
                f"feedback hold-out accuracy {mine:.2%} is below the champion's {theirs:.2%} "
                f"on {images} photos"
            )
        else:
            reasons.append(
                f"feedback hold-out accuracy {mine:.2%} against the champion's {theirs:.2%} "
                f"on {images} photos"
            )
    return Verdict(not refused, tuple(reasons), tuple(warnings))
