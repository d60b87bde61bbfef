"""Reviewed training photos written straight into the database, as the review page leaves them."""

import datetime
import hashlib

from catsdogs.extensions import db
from catsdogs.models import Prediction, TrainingPhoto


def add_photo(app, jpeg: bytes, review: str | None, label: str | None, reviewer="reviewer-1"):
    """A prediction with both consents and its kept photo, reviewed as given; the photo's id."""
    with app.app_context():
        prediction = Prediction(
            inference_time_ms=12.0,
            prediction_result=label or "cat",
            proba_cat=0.5,
            proba_dog=0.5,
            model_version="test",
            rgpd_consent=True,
            training_consent=True,
            user_feedback=1,
        )
        db.session.add(prediction)
        db.session.flush()
        photo = TrainingPhoto(
            prediction_id=prediction.id,
            jpeg=jpeg,
            sha256=hashlib.sha256(jpeg).hexdigest(),
            width=64,
            height=48,
            review=review,
            label=label,
            reviewer=reviewer if review else None,
            reviewed_at=datetime.datetime.now(datetime.UTC) if review else None,
        )
        db.session.add(photo)
        db.session.commit()
        return photo.id
