"""The label review: kept photos in the reviewers' queue, their decisions, and the counts.

Only a reviewer's label is used for training (review 'confirmed' or 'corrected'): the person's
vote only proposes one. A label is a class, or 'neither' (the photo shows neither a cat nor a
dog): such photos calibrate the model's "not a cat or a dog" answer, they train no class.
Never touches `request`.
"""

import math

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import contains_eager, defer

from catsdogs.errors import ServiceError
from catsdogs.extensions import db
from catsdogs.card import CLASSES
from catsdogs.store import review_value as value
from catsdogs.store.tables import NEITHER, Prediction, TrainingPhoto, utc_now
from catsdogs.store.records import MAX_ID

REJECT = "reject"
DECISIONS = (*CLASSES, NEITHER, REJECT)
PER_PAGE = 20
ORDERS = ("value", "oldest")  # the queue's sort: the most useful label first, or oldest first
REVIEWER_MAX_LENGTH = TrainingPhoto.reviewer.type.length


def queue(
    page: int = 1, per_page: int = PER_PAGE, order: str = "value", neither_above: float = math.inf
) -> dict:
    """One page of kept photos, those not reviewed yet first: in `order` ("value": the label that
    would teach most first, see review_value; "oldest"), the reviewed ones oldest first.

    `neither_above`: the served detector's threshold, for "maybe neither". `reasons`: why each
    waiting photo of the page is there, for its card."""
    if order not in ORDERS:
        raise ServiceError("invalid_request", f"The order must be one of {', '.join(ORDERS)}.")
    total = db.session.scalar(select(func.count(TrainingPhoto.id))) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    reviewed = reviewed_labels()
    waiting = TrainingPhoto.review.is_(None)
    keys = [case((waiting, 0), else_=1)]
    if order == "value":
        keys.append(case((waiting, -value_sql(reviewed, neither_above)), else_=0.0))
    photos = db.session.scalars(
        select(TrainingPhoto)
        .join(TrainingPhoto.prediction)
        .options(defer(TrainingPhoto.jpeg), contains_eager(TrainingPhoto.prediction))
        .order_by(*keys, TrainingPhoto.created_at, TrainingPhoto.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    reasons = {
        photo.id: reasons_for(photo.prediction, reviewed, neither_above)
        for photo in photos
        if photo.review is None
    }
    return {
        "photos": photos,
        "page": page,
        "pages": pages,
        "total": total,
        "order": order,
        "reasons": reasons,
    }


def reviewed_labels() -> dict[str, int]:
    """How many reviewed photos carry each label (cat, dog, neither)."""
    rows = db.session.execute(
        select(TrainingPhoto.label, func.count(TrainingPhoto.id))
        .where(TrainingPhoto.review.in_(("confirmed", "corrected")))
        .group_by(TrainingPhoto.label)
    ).all()
    return {label: int(number) for label, number in rows if label is not None}


def value_sql(reviewed: dict[str, int], neither_above: float) -> ColumnElement[float]:
    """review_value.score() of a photo's prediction, as SQL: the page is sorted by the database,
    so no more than a page of rows is ever read."""
    shown = Prediction
    near = []
    if math.isfinite(neither_above):
        near = [
            (shown.neither_score >= value.NEAR_NEITHER * neither_above, value.NEAR_NEITHER_PART)
        ]
    parts = {
        "unsure": 1.0 - func.abs(2.0 * func.coalesce(shown.proba_dog, 1.0) - 1.0),
        "challenger": case(
            (
                and_(
                    shown.shadow_result.is_not(None), shown.shadow_result != shown.prediction_result
                ),
                1.0,
            ),
            else_=0.0,
        ),
        "wrong": case((shown.user_feedback == 0, 1.0), else_=0.0),
        "neither": case((shown.neither.is_(True), 1.0), *near, else_=0.0),
        "balance": case(
            *[(shown.prediction_result == c, value.balance(c, reviewed)) for c in CLASSES],
            else_=0.0,
        ),
    }
    return sum(value.WEIGHTS[name] * part for name, part in parts.items())  # type: ignore[return-value]


def parts_of(
    prediction: Prediction, reviewed: dict[str, int], neither_above: float
) -> dict[str, float]:
    """The parts of review_value.score() for one prediction, as value_sql computes them."""
    disagrees = prediction.shadow_result not in (None, prediction.prediction_result)
    return {
        "unsure": value.unsure(prediction.proba_dog),
        "challenger": float(disagrees),
        "wrong": float(prediction.user_feedback == 0),
        "neither": value.neither(prediction.neither, prediction.neither_score, neither_above),
        "balance": value.balance(prediction.prediction_result, reviewed),
    }


def reasons_for(
    prediction: Prediction, reviewed: dict[str, int], neither_above: float
) -> list[tuple[str, object]]:
    """Why a photo is high in the queue, for its card: (reason, what to show with it)."""
    parts = parts_of(prediction, reviewed, neither_above)
    confidence = prediction.confidence
    why: list[tuple[str, object]] = []
    if confidence is not None and confidence < value.UNSURE_BELOW:
        why.append(("unsure", confidence))
    if parts["challenger"]:
        why.append(("challenger", prediction.shadow_result))
    if parts["wrong"]:
        why.append(("wrong", None))
    if parts["neither"]:
        why.append(("neither", None))
    if parts["balance"] >= value.BALANCE_SHOWN:
        why.append(("balance", prediction.prediction_result))
    return why


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
