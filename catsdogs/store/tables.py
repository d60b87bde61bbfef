"""Database models."""

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catsdogs.card import CLASSES
from catsdogs.extensions import Base, db

if TYPE_CHECKING:  # db.Model is a class built at run time, from Base: the type checker sees Base
    Model = Base
else:
    Model = db.Model

COMMENT_MAX_LENGTH = 1000
# What a reviewer did with a kept photo's proposed label (TrainingPhoto.review).
REVIEWS = ("confirmed", "corrected", "rejected")
NEITHER = "neither"  # a kept photo's label when it shows neither a cat nor a dog


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def new_request_id() -> str:
    return str(uuid.uuid4())


class Prediction(Model):
    """One classified upload, and the user's feedback on it when they consented."""

    __tablename__ = "predictions_feedback"
    __table_args__ = (
        CheckConstraint("prediction_result IN ('cat', 'dog', 'error')", name="ck_result"),
        CheckConstraint("user_feedback IN (0, 1)", name="ck_feedback"),
        CheckConstraint(
            "proba_cat BETWEEN 0 AND 1 AND proba_dog BETWEEN 0 AND 1", name="ck_probabilities"
        ),
        CheckConstraint("inference_time_ms >= 0", name="ck_inference_time"),
        # Without consent nothing personal may be kept: the anonymous technical row only.
        CheckConstraint(
            "rgpd_consent OR (filename IS NULL AND user_comment IS NULL AND user_feedback IS NULL)",
            name="ck_consent",
        ),
        CheckConstraint(
            "shadow_result IS NULL OR shadow_result IN ('cat', 'dog')", name="ck_shadow_result"
        ),
        # Keeping the photo for training is a second consent, given on top of the first.
        CheckConstraint("rgpd_consent OR NOT training_consent", name="ck_training_consent"),
        # What training_photos' foreign key points at: a photo row needs its consent here.
        UniqueConstraint("id", "training_consent", name="uq_predictions_feedback_id_training"),
        Index("ix_predictions_feedback_created_at", "created_at"),
        Index("ix_predictions_feedback_prediction_result", "prediction_result"),
        # An erased id is never given again (PostgreSQL's sequences never do): a page or a card
        # still showing it must not reach the next photo's row.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_request_id)
    created_at: Mapped[datetime.datetime] = mapped_column(
        db.DateTime(timezone=True), default=utc_now
    )
    inference_time_ms: Mapped[float]
    prediction_result: Mapped[str] = mapped_column(String(5))
    proba_cat: Mapped[float | None]
    proba_dog: Mapped[float | None]
    model_version: Mapped[str] = mapped_column(String(64))
    # The model's "not a cat or a dog", from the score of its detector (None: a model without).
    neither: Mapped[bool] = mapped_column(default=False, server_default=false())
    neither_score: Mapped[float | None]
    rgpd_consent: Mapped[bool] = mapped_column(default=False)
    training_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    filename: Mapped[str | None] = mapped_column(String(255))
    user_feedback: Mapped[int | None] = mapped_column(db.SmallInteger)
    user_comment: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime.datetime | None] = mapped_column(db.DateTime(timezone=True))
    # Shadow traffic: the challenger's answer on the same photo, written after the row.
    shadow_model_version: Mapped[str | None] = mapped_column(String(64))
    shadow_result: Mapped[str | None] = mapped_column(String(5))
    shadow_proba_dog: Mapped[float | None]
    shadow_time_ms: Mapped[float | None]
    photo: Mapped["TrainingPhoto | None"] = relationship(
        back_populates="prediction", passive_deletes=True
    )

    @classmethod
    def new_row(cls, **values: Any) -> dict[str, Any]:
        """`values` plus the column defaults, computed now: a row spooled before its INSERT
        keeps the request_id and created_at it is stored with later."""
        row = dict(values)
        for column in cls.__table__.columns:
            default = column.default
            if column.key not in row and default is not None:
                row[column.key] = default.arg(None) if default.is_callable else default.arg
        return row

    @property
    def confidence(self) -> float | None:
        if self.proba_cat is None or self.proba_dog is None:
            return None
        return max(self.proba_cat, self.proba_dog)


class TrainingPhoto(Model):
    """A downscaled copy of an upload, kept because the person allowed it for training, and the
    label a reviewer gave it.

    The database refuses a row whose prediction lacks training consent: the foreign key names
    (prediction_id, training_consent) and training_consent can only be true here, so the
    prediction's consent cannot be withdrawn while its photo is kept. Erasing the prediction
    deletes the photo (ON DELETE CASCADE).
    """

    __tablename__ = "training_photos"
    __table_args__ = (
        ForeignKeyConstraint(
            ["prediction_id", "training_consent"],
            ["predictions_feedback.id", "predictions_feedback.training_consent"],
            name="fk_training_photos_prediction",
            ondelete="CASCADE",
        ),
        CheckConstraint("training_consent", name="ck_photo_consent"),
        CheckConstraint(
            "label IS NULL OR label IN ('cat', 'dog', 'neither')", name="ck_photo_label"
        ),
        CheckConstraint(
            "(review IS NULL AND label IS NULL AND reviewer IS NULL)"
            " OR (review = 'rejected' AND label IS NULL AND reviewer IS NOT NULL)"
            " OR (review IN ('confirmed', 'corrected') AND label IS NOT NULL"
            " AND reviewer IS NOT NULL)",
            name="ck_photo_review",
        ),
        Index("ix_training_photos_created_at", "created_at"),
        Index("ix_training_photos_review", "review"),
        Index("ix_training_photos_sha256", "sha256"),  # the no-second-copy check per upload
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prediction_id: Mapped[int] = mapped_column(unique=True)
    training_consent: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        db.DateTime(timezone=True), default=utc_now
    )
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    review: Mapped[str | None] = mapped_column(String(9))
    label: Mapped[str | None] = mapped_column(String(7))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime.datetime | None] = mapped_column(db.DateTime(timezone=True))
    prediction: Mapped[Prediction] = relationship(back_populates="photo")

    @property
    def proposed_label(self) -> str | None:
        """What the person's vote says: 👍 the predicted class, 👎 the other one, else None.

        On a "not a cat or a dog" answer, 👍 proposes neither; 👎 says it is a pet but not
        which one, so it proposes nothing."""
        vote, predicted = self.prediction.user_feedback, self.prediction.prediction_result
        if vote is None or predicted not in CLASSES:
            return None
        if self.prediction.neither:
            return NEITHER if vote else None
        return predicted if vote else CLASSES[1 - CLASSES.index(predicted)]


class ErasedPhoto(Model):
    """The sha256 of a kept photo whose prediction was erased: what is needed to find the
    registered models trained on it (catsdogs/registry/lineage.py), and nothing of the photo.

    `marked_at` is when the service compared it with every registered version's training
    manifest (and tagged those trained on it); None until then.
    """

    __tablename__ = "erased_photos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime.datetime] = mapped_column(
        db.DateTime(timezone=True), default=utc_now
    )
    marked_at: Mapped[datetime.datetime | None] = mapped_column(db.DateTime(timezone=True))
