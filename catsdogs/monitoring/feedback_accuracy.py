"""Accuracy as users report it: the share of 👍 among votes, per model version, with its
Wilson 95% interval (Wilson 1927; recommended for small counts by Brown, Cai and DasGupta,
Statistical Science 16(2), 2001)."""

import datetime
import math

from sqlalchemy import func, select

from catsdogs.extensions import db
from catsdogs.store.tables import Prediction, utc_now

Z95 = 1.959964


def wilson(right: int, votes: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of `right` successes in `votes` trials."""
    if not votes:
        return 0.0, 1.0
    share = right / votes
    denominator = 1 + z * z / votes
    centre = (share + z * z / (2 * votes)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / votes + z * z / (4 * votes * votes))
    return max(0.0, centre - half), min(1.0, centre + half)


def by_version(days: float) -> dict[str, dict]:
    """{version: votes, right, accuracy, lower, upper} over the votes of the last `days`."""
    since = utc_now() - datetime.timedelta(days=days)
    rows = db.session.execute(
        select(
            Prediction.model_version,
            func.count(Prediction.id),
            func.coalesce(func.sum(Prediction.user_feedback), 0),
        )
        .where(Prediction.user_feedback.is_not(None), Prediction.feedback_at >= since)
        .group_by(Prediction.model_version)
    ).all()
    result = {}
    for model_version, count, right_or_none in rows:
        votes, right = int(count), int(right_or_none or 0)  # coalesce: never None
        lower, upper = wilson(right, votes)
        result[model_version] = {
            "votes": votes,
            "right": right,
            "accuracy": right / votes,
            "lower": lower,
            "upper": upper,
        }
    return result
