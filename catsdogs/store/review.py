"""The label review: kept photos in the reviewers' queue, their decisions, and the counts.

Only a reviewer's label is used for training (review 'confirmed' or 'corrected'): the person's
vote only proposes one. A label is a class, or 'neither' (the photo shows neither a cat nor a
dog): such photos calibrate the model's "not a cat or a dog" answer, they train no class.
Never touches `request`.
"""

import math

from sqlalchemy import case, func, select
from sqlalchemy.orm import defer, joinedload

from catsdogs.errors import ServiceError
from catsdogs.extensions import db
from catsdogs.card import CLASSES
from catsdogs.store.tables import NEITHER, TrainingPhoto, utc_now
from catsdogs.store.records import MAX_ID

REJECT = "reject"
DECISIONS = (*CLASSES, NEITHER, REJECT)
PER_PAGE = 20
REVIEWER_MAX_LENGTH = TrainingPhoto.reviewer.type.length


def queue(page: int = 1, per_page: int = PER_PAGE) -> dict:
    """One page of kept photos, those not reviewed yet first, each group oldest first."""
    total = db.session.scalar(select(func.count(TrainingPhoto.id))) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    photos = db.session.scalars(
        select(TrainingPhoto)
        .options(defer(TrainingPhoto.jpeg), joinedload(TrainingPhoto.prediction))
        .order_by(
            case((TrainingPhoto.review.is_(None), 0), else_=1),
            TrainingPhoto.created_at,
            TrainingPhoto.id,
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {"photos": photos, "page": page, "pages": pages, "total": total}


def get(photo_id: int) -> TrainingPhoto:
    """The kept photo `photo_id`, or ServiceError not_found."""
    photo = db.session.get(TrainingPhoto, photo_id) if 1 <= photo_id <= MAX_ID else None
    if photo is None:
        raise ServiceError("not_found", f"No kept photo with id {photo_id}.")
    return photo


def review(photo_id: int, decision: str, reviewer: str, shown: str | None = None) -> TrainingPhoto:
    """Record `reviewer`'s decision (a label, or "reject") on a photo; the latest one wins.

    A label the person's vote proposed is 'confirmed', any other 'corrected': 'neither' is
    confirmed only after a 👍 on the model's own "not a cat or a dog" (proposed_label).
    `shown`, when given, is the request_id of the prediction the reviewer's card showed: a card
    whose photo was erased since, and its id given again, is refused (stale)."""
    if decision not in DECISIONS:
        raise ServiceError(
            "invalid_request", f"The decision must be one of {', '.join(DECISIONS)}."
        )
    reviewer = clean_reviewer(reviewer)
    photo = get(photo_id)
    if shown is not None and photo.prediction.request_id != shown:
        raise ServiceError("stale", f"Kept photo {photo_id} is not the one shown any more.")
    if decision == REJECT:
        photo.review, photo.label = "rejected", None
    else:
        photo.review = "confirmed" if decision == photo.proposed_label else "corrected"
        photo.label = decision
    photo.reviewer, photo.reviewed_at = reviewer, utc_now()
    db.session.commit()
    return photo


def clean_reviewer(name: str | None) -> str:
    """The reviewer's name, trimmed; ServiceError invalid_request when empty or too long."""
    name = " ".join((name or "").split())
    if not name or len(name) > REVIEWER_MAX_LENGTH:
        raise ServiceError(
            "invalid_request",
            f"The reviewer's name must have 1 to {REVIEWER_MAX_LENGTH} characters.",
        )
    return name


def counts() -> dict[str, int]:
    """Kept photos, and how many are reviewed (confirmed or corrected), rejected and waiting;
    `neither`: the reviewed ones labelled neither a cat nor a dog."""
    labelled = case((TrainingPhoto.label == NEITHER, 1), else_=0)
    rows = db.session.execute(
        select(TrainingPhoto.review, func.count(TrainingPhoto.id), func.sum(labelled)).group_by(
            TrainingPhoto.review
        )
    ).all()
    by_review = {review: int(number) for review, number, _ in rows}
    return {
        "kept": sum(by_review.values()),
        "reviewed": by_review.get("confirmed", 0) + by_review.get("corrected", 0),
        "rejected": by_review.get("rejected", 0),
        "waiting": by_review.get(None, 0),
        "neither": sum(int(neither or 0) for _, _, neither in rows),
    }
