"""Kept photos for the review tests, stored as the photo-keeping code will store them."""

import hashlib
import io

from PIL import Image

from catsdogs.extensions import db
from catsdogs.models import Prediction, TrainingPhoto


def small_jpeg(color=(200, 120, 40), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def keep_photo(predicted="cat", vote=None, comment=None, version="v-test", **photo) -> int:
    """Store a consented prediction (with the vote, if any) and its kept photo; return its id."""
    prediction = Prediction(
        inference_time_ms=5.0,
        prediction_result=predicted,
        proba_cat=0.9 if predicted == "cat" else 0.1,
        proba_dog=0.1 if predicted == "cat" else 0.9,
        model_version=version,
        rgpd_consent=True,
        training_consent=True,
        user_feedback=vote,
        user_comment=comment,
    )
    db.session.add(prediction)
    db.session.flush()
    jpeg = small_jpeg()
    kept = TrainingPhoto(
        prediction_id=prediction.id,
        jpeg=jpeg,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        width=40,
        height=30,
        **photo,
    )
    db.session.add(kept)
    db.session.commit()
    return kept.id


def row(photo_id: int) -> tuple:
    """What the database holds of a photo's review, read afresh."""
    db.session.expire_all()
    photo = db.session.get(TrainingPhoto, photo_id)
    return photo.review, photo.label, photo.reviewer, photo.reviewed_at
