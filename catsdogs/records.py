"""Prediction records: store, give feedback, list, erase and purge. Never touches `request`."""

import datetime
import logging
import time
import unicodedata
import uuid

from flask import current_app
from sqlalchemy import delete, exc, insert, select, update

from catsdogs.errors import ServiceError
from catsdogs.extensions import db
from catsdogs.models import COMMENT_MAX_LENGTH, Prediction, utc_now
from catsdogs.raw_insert import RawInsert

log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL
# One round trip, no ORM unit of work: INSERT ... RETURNING id, in autocommit mode.
INSERT_PREDICTION = insert(Prediction.__table__).returning(Prediction.__table__.c.id)
WRITE_ENGINE = "autocommit_writes"  # the bind key of the engine create_app adds for it


def clean_filename(name: str | None) -> str | None:
    """Keep only the last path part, printable, at most 255 characters."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return printable[:255] or None


def clean_comment(text: str | None) -> str | None:
    """Drop control characters and lone surrogates (databases refuse them); keep line breaks."""
    if not text:
        return None
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return kept.strip() or None


def save_prediction(
    prediction, model_version: str, consent: bool, filename: str | None, spool, telemetry
) -> int | None:
    """Store the prediction; if the database is unreachable, spool it. Return its id or None.

    `filename` must already be cleaned and be None without consent (the database checks it).
    """
    row = {
        "request_id": str(uuid.uuid4()),
        "created_at": utc_now(),
        "inference_time_ms": round(prediction.total_ms, 3),
        "success": True,
        "prediction_result": prediction.label,
        "proba_cat": prediction.probabilities["cat"],
        "proba_dog": prediction.probabilities["dog"],
        "model_version": model_version,
        "rgpd_consent": consent,
        "filename": filename,
    }
    started = time.perf_counter()
    insert_row = _insert_prediction(tuple(row))
    try:
        return insert_row(row)
    except (exc.OperationalError, *insert_row.unavailable):
        log.warning("database unavailable: prediction %s spooled", row["request_id"])
        spool.append(row)
        return None
    finally:
        telemetry.record_database_write(time.perf_counter() - started)


def _insert_prediction(keys: tuple[str, ...]) -> RawInsert:
    """The app's prediction insert, compiled on first use (engines need an app context)."""
    extensions = current_app.extensions
    if "catsdogs.insert_prediction" not in extensions:
        engine = db.engines[WRITE_ENGINE]
        extensions["catsdogs.insert_prediction"] = RawInsert(engine, INSERT_PREDICTION, keys)
    return extensions["catsdogs.insert_prediction"]


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
            row = {**row, "created_at": datetime.datetime.fromisoformat(row["created_at"])}
            db.session.add(Prediction(**row))
    db.session.commit()


def give_feedback(
    prediction_id: int, satisfied: bool, comment: str | None, allowed_ids: set[int] | None = None
) -> Prediction:
    """Record 👍/👎 and a comment on a consented prediction."""
    record = db.session.get(Prediction, prediction_id) if 0 < prediction_id <= MAX_ID else None
    if record is None or (allowed_ids is not None and prediction_id not in allowed_ids):
        raise ServiceError(404, "not_found", f"No prediction with id {prediction_id}.")
    if not record.rgpd_consent:
        raise ServiceError(
            403, "no_consent", "Feedback is only kept for predictions made with consent."
        )
    if comment is not None and len(comment) > COMMENT_MAX_LENGTH:
        raise ServiceError(
            400, "comment_too_long", f"Comments are limited to {COMMENT_MAX_LENGTH} characters."
        )
    record.user_feedback = int(satisfied)
    record.user_comment = clean_comment(comment)
    record.feedback_at = utc_now()
    db.session.commit()
    current_app.extensions["catsdogs.telemetry"].record_feedback(satisfied)
    return record


def recent(limit: int, offset: int) -> list[Prediction]:
    """The newest predictions first."""
    query = select(Prediction).order_by(Prediction.created_at.desc(), Prediction.id.desc())
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def erase(prediction_id: int) -> None:
    """Delete one prediction row entirely (right to erasure)."""
    deleted = 0
    if 0 < prediction_id <= MAX_ID:
        deleted = db.session.execute(
            delete(Prediction).where(Prediction.id == prediction_id)
        ).rowcount
        db.session.commit()
    if not deleted:
        raise ServiceError(404, "not_found", f"No prediction with id {prediction_id}.")


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
    return result.rowcount
