"""Whether a photo offered for training is kept: a daily quota per client, a cap on the review
queue, and no second copy of a photo already kept. Never touches `request`.

The quota counts in the rate limiter's storage (RATELIMIT_STORAGE_URI: shared by replicas when
it is Redis), keyed by the client the caller names, so no address is ever written to the
database. Only a photo actually kept counts.
"""

import logging

from limits import RateLimitItemPerDay
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Select, exc, func, select

from catsdogs.extensions import db
from catsdogs.store.tables import TrainingPhoto
from catsdogs.store.training_photos import KeptPhoto

log = logging.getLogger(__name__)
# Why a photo offered with training consent was not kept (the API's `training_photo_refused`).
DAILY_LIMIT, QUEUE_FULL, ALREADY_KEPT, UNAVAILABLE = (
    "daily_limit",
    "queue_full",
    "already_kept",
    "unavailable",
)


class PhotoIntake:
    """Admit kept photos: `per_day` per client, while fewer than `queue_max` wait for review."""

    def __init__(self, storage_uri: str, per_day: int, queue_max: int):
        self.queue_max = queue_max
        self.quota = RateLimitItemPerDay(per_day) if per_day > 0 else None
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def refusal(self, photo: KeptPhoto, client: str) -> str | None:
        """Why `photo` is not to be kept, or None after counting it against `client`'s quota.

        While the database is down the row is spooled: the photo goes with it (the replay
        stores no second copy), the quota still counts it."""
        if self.quota is None:
            return DAILY_LIMIT
        try:
            if not self.limiter.test(self.quota, "catsdogs", "photos", client):
                return DAILY_LIMIT
            refused = self.refused_by_database(photo)
            if refused is None and not self.limiter.hit(self.quota, "catsdogs", "photos", client):
                return DAILY_LIMIT  # another request of the same client took the last one
        except Exception:  # the limit store (Redis) is down: keep nothing rather than count none
            log.warning("the photo quota's storage is unavailable: the photo is not kept")
            return UNAVAILABLE
        return refused

    def refused_by_database(self, photo: KeptPhoto) -> str | None:
        """QUEUE_FULL or ALREADY_KEPT, or None (also when the database cannot answer)."""
        waiting = select(func.count(TrainingPhoto.id)).where(TrainingPhoto.review.is_(None))
        try:
            with db.engine.connect() as connection:
                if (connection.scalar(waiting) or 0) >= self.queue_max:
                    return QUEUE_FULL
                if connection.scalar(already_kept(photo.sha256)) is not None:
                    return ALREADY_KEPT
        except (exc.OperationalError, exc.InterfaceError):
            return None
        return None


def already_kept(sha256: str) -> Select[int]:
    """The id of a kept photo with these bytes, if any (the same upload encodes the same)."""
    return select(TrainingPhoto.id).where(TrainingPhoto.sha256 == sha256).limit(1)
