"""The sha256 of erased kept photos: written by an erasure, read by the registry's lineage check.

A hash of a photo that no longer exists is the least that lets the service find the models
trained on it (docs/personal-data.md); deleting photos by age (retention) writes nothing here.
"""

import datetime

from sqlalchemy import select, update

from catsdogs.extensions import db
from catsdogs.store.tables import ErasedPhoto, TrainingPhoto, utc_now


def record(prediction_id: int) -> None:
    """Note the sha256 of the photo kept with `prediction_id`, if any, before the erasure
    deletes it; the caller commits both together, so one never happens without the other.
    A photo erased again (kept anew since) is compared with the registry again."""
    sha256 = db.session.scalar(
        select(TrainingPhoto.sha256).where(TrainingPhoto.prediction_id == prediction_id)
    )
    if sha256 is None:
        return
    known = db.session.get(ErasedPhoto, sha256)
    if known is None:
        db.session.add(ErasedPhoto(sha256=sha256))
    else:
        known.erased_at, known.marked_at = utc_now(), None
    db.session.flush()


def unmarked() -> list[str]:
    """Erased photos not yet compared with the registered versions."""
    query = select(ErasedPhoto.sha256).where(ErasedPhoto.marked_at.is_(None))
    return list(db.session.scalars(query))


def every_sha256() -> frozenset[str]:
    """Every erased photo's sha256."""
    return frozenset(db.session.scalars(select(ErasedPhoto.sha256)))


def settle(sha256s: list[str], at: datetime.datetime) -> None:
    """Note that these erasures were compared with every registered version at `at`."""
    if sha256s:
        db.session.execute(
            update(ErasedPhoto)
            .where(ErasedPhoto.sha256.in_(sha256s), ErasedPhoto.marked_at.is_(None))
            .values(marked_at=at)
        )
    db.session.commit()
