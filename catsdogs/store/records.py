"""Prediction records: store, give feedback, list, erase and purge. Never touches `request`."""

from __future__ import annotations

import datetime
import logging
import time
from enum import Enum
from typing import TYPE_CHECKING, Literal, cast

from sqlalchemy import CursorResult, Table, delete, exc, func, insert, select, text, update

from catsdogs.errors import ServiceError
from catsdogs.extensions import db
from catsdogs.store import erased_photos
from catsdogs.store.cleaning import clean_comment, clean_filename
from catsdogs.store.photo_intake import already_kept
from catsdogs.store.tables import COMMENT_MAX_LENGTH, Prediction, TrainingPhoto, utc_now
from catsdogs.store.training_photos import KeptPhoto

if TYPE_CHECKING:  # annotations only: the store imports nothing of monitoring or serving
    from catsdogs.monitoring.metrics import Telemetry
    from catsdogs.serving.classifier import Answer
    from catsdogs.store.spool import Spool

log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL
COLUMNS = {column.key for column in Prediction.__table__.columns}
# A Core INSERT: the ORM's unit of work costs more than the row itself (docs/performance.md);
# the defaults come from the model either way.
PREDICTIONS, PHOTOS = cast(Table, Prediction.__table__), cast(Table, TrainingPhoto.__table__)
INSERT_PREDICTION = insert(PREDICTIONS).returning(PREDICTIONS.c.id)
INSERT_PHOTO = insert(PHOTOS)
ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
SPOOLED_PHOTO = "training_photo"  # the key of a kept photo in a spooled row (not a column)


class Keep(Enum):  # give_feedback's comment when the client sent none: the stored one stays
    KEEP = "keep"


KEEP = Keep.KEEP


class Writer:
    """The writes that report elsewhere: rows wait in `spool` while the database is down, and
    `telemetry` counts database writes and votes."""

    def __init__(self, spool: Spool, telemetry: Telemetry, rows_wait_for_disk: bool = True):
        self.spool, self.telemetry, self.rows_wait_for_disk = spool, telemetry, rows_wait_for_disk

    def save_prediction(
        self,
        prediction: Answer,
        consent: bool,
        filename: str | None,
        photo: KeptPhoto | None = None,
    ) -> int | None:
        """Store the prediction, and `photo` with it when the person allowed it for training; if
        the database is unreachable, spool both. Return the row id or None.

        Without consent the file name is not kept (the database would refuse it anyway).
        """
        row = Prediction.new_row(
            inference_time_ms=round(prediction.total_ms, 3),
            prediction_result=prediction.label,
            proba_cat=prediction.probabilities["cat"],
            proba_dog=prediction.probabilities["dog"],
            neither=prediction.neither,
            neither_score=prediction.neither_score,
            model_version=prediction.model_version,
            rgpd_consent=consent,
            training_consent=photo is not None,
            filename=clean_filename(filename) if consent else None,
        )
        started = time.perf_counter()
        try:
            return _insert(row, photo, wait_for_disk=self.rows_wait_for_disk)
        except (exc.OperationalError, exc.InterfaceError):
            log.warning("database unavailable: prediction %s spooled", row["request_id"])
            self.spool.append(row | {SPOOLED_PHOTO: photo.to_spool()} if photo else row)
            return None
        finally:
            self.telemetry.record_database_write(time.perf_counter() - started)

    def give_feedback(
        self,
        prediction_id: int,
        satisfied: bool,
        comment: str | None | Literal[Keep.KEEP] = KEEP,
        allowed_ids: set[int] | None = None,
        shown: str | None = None,
    ) -> Prediction:
        """Record 👍/👎 on the consented prediction `named` names, and the comment unless KEEP.

        An empty or None comment clears the stored one; a vote sent again without one keeps it.
        """
        record = named(prediction_id, allowed_ids, shown)
        if not record.rgpd_consent:
            raise ServiceError(
                "no_consent", "Feedback is only kept for predictions made with consent."
            )
        if isinstance(comment, str) and len(comment) > COMMENT_MAX_LENGTH:
            raise ServiceError(
                "comment_too_long", f"Comments are limited to {COMMENT_MAX_LENGTH} characters."
            )
        record.user_feedback = int(satisfied)
        if comment is not KEEP:
            record.user_comment = clean_comment(comment)
        record.feedback_at = utc_now()
        db.session.commit()
        self.telemetry.record_feedback(satisfied, record.model_version)
        return record


def _insert(row: dict, photo: KeptPhoto | None = None, wait_for_disk: bool = True) -> int:
    """The one way a prediction row (and its kept photo) reaches the database, live or
    replayed: one transaction, so a photo is never stored without its row, nor lost with it.
    A photo already kept (the same bytes) is not stored twice: each copy has one prediction,
    so erasing one never deletes a photo another consented prediction holds. Without
    `wait_for_disk`, PostgreSQL answers before the WAL of a row without a photo is flushed."""
    with db.engine.begin() as connection:
        if not wait_for_disk and photo is None and connection.dialect.name == "postgresql":
            connection.execute(ASYNCHRONOUS_COMMIT)
        prediction_id = connection.execute(INSERT_PREDICTION, row).scalar_one()
        if photo is not None and connection.scalar(already_kept(photo.sha256)) is None:
            connection.execute(
                INSERT_PHOTO,
                {
                    "prediction_id": prediction_id,
                    "training_consent": True,
                    "created_at": row["created_at"],  # its retention counts from the upload
                    "jpeg": photo.jpeg,
                    "sha256": photo.sha256,
                    "width": photo.width,
                    "height": photo.height,
                },
            )
        return prediction_id


def save_shadow(prediction_id: int, prediction: Answer, seconds: float) -> bool:
    """Store the challenger's answer beside the champion's row; False if that row is not stored
    (spooled, erased, or the database is down): a shadow answer is never worth a retry."""
    values = {
        "shadow_model_version": prediction.model_version,
        "shadow_result": prediction.label,
        "shadow_proba_dog": prediction.probabilities["dog"],
        "shadow_time_ms": round(seconds * 1000, 3),
    }
    statement = update(Prediction).where(Prediction.id == prediction_id).values(values)
    try:
        with db.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1
    except (exc.OperationalError, exc.InterfaceError):
        return False


def replay(rows: list[dict]) -> None:
    """Insert spooled rows in order, skipping those already stored (idempotent)."""
    known = set(
        db.session.scalars(
            select(Prediction.request_id).where(
                Prediction.request_id.in_([r["request_id"] for r in rows])
            )
        )
    )
    for row in rows:
        if row["request_id"] not in known:
            photo = row.get(SPOOLED_PHOTO)
            _insert(_from_spool(row), KeptPhoto.from_spool(photo) if photo else None)


def _from_spool(row: dict) -> dict:
    """The row as the model takes it: dates parsed, columns an older release wrote dropped."""
    values = {key: value for key, value in row.items() if key in COLUMNS}
    values["created_at"] = datetime.datetime.fromisoformat(row["created_at"])
    return values


def discard_session() -> None:
    """Roll back and drop the session; a connection that died with the database may refuse."""
    try:
        db.session.remove()
    except Exception:
        log.debug("dropping a dead database session", exc_info=True)


def get(prediction_id: int) -> Prediction:
    """One stored prediction, or not_found."""
    record = db.session.get(Prediction, prediction_id) if 0 < prediction_id <= MAX_ID else None
    if record is None:
        raise ServiceError("not_found", f"No prediction with id {prediction_id}.")
    return record


def named(prediction_id: int, allowed_ids: set[int] | None, shown: str | None) -> Prediction:
    """The prediction an action names: not_found unless among `allowed_ids` (when given), stale
    unless it is the row the page showed, the one whose request_id is `shown` (when given)."""
    if allowed_ids is not None and prediction_id not in allowed_ids:
        raise ServiceError("not_found", f"No prediction with id {prediction_id}.")
    record = get(prediction_id)
    if shown is not None and record.request_id != shown:
        raise ServiceError("stale", f"Prediction {prediction_id} is not the one shown any more.")
    return record


def count() -> int:
    """How many predictions are stored."""
    return db.session.scalar(select(func.count()).select_from(Prediction)) or 0


def recent(limit: int, offset: int) -> list[Prediction]:
    """The newest predictions first."""
    query = select(Prediction).order_by(Prediction.created_at.desc(), Prediction.id.desc())
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def erase(
    prediction_id: int, allowed_ids: set[int] | None = None, shown: str | None = None
) -> None:
    """Delete one prediction row entirely (right to erasure), the one `named` names; its kept
    photo goes with it (ON DELETE CASCADE), its sha256 stays in erased_photos so that the
    models trained on it can be found (catsdogs/store/erased_photos.py)."""
    named(prediction_id, allowed_ids, shown)
    erased_photos.record(prediction_id)  # committed with the erasure, or not at all
    db.session.execute(delete(Prediction).where(Prediction.id == prediction_id))
    db.session.commit()


def purge_personal_data(older_than: datetime.timedelta) -> int:
    """Clear file names and comments older than the retention period (the vote stays)."""
    cutoff = utc_now() - older_than
    result = db.session.execute(
        update(Prediction)
        .where(Prediction.created_at < cutoff)
        .where((Prediction.filename.is_not(None)) | (Prediction.user_comment.is_not(None)))
        .values(filename=None, user_comment=None)
    )
    db.session.commit()
    return cast(CursorResult, result).rowcount  # an UPDATE's or DELETE's result


def purge_training_photos(older_than: datetime.timedelta) -> int:
    """Delete kept photos older than their own retention period; return how many."""
    cutoff = utc_now() - older_than
    result = db.session.execute(delete(TrainingPhoto).where(TrainingPhoto.created_at < cutoff))
    db.session.commit()
    return cast(CursorResult, result).rowcount  # an UPDATE's or DELETE's result
