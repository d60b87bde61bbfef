"""An erasure leaves the sha256 of the kept photo it deleted, and nothing else of it; a
retention purge leaves nothing."""

import datetime
import hashlib

from sqlalchemy import select

from catsdogs.extensions import db
from catsdogs.store import erased_photos, records
from catsdogs.store.tables import ErasedPhoto, TrainingPhoto, utc_now
from tests.store.feedback_photos import keep_photo, small_jpeg


def erased(app) -> dict[str, datetime.datetime | None]:
    with app.app_context():
        return {row.sha256: row.marked_at for row in db.session.scalars(select(ErasedPhoto))}


def prediction_of(app, photo_id: int) -> int:
    with app.app_context():
        return db.session.get(TrainingPhoto, photo_id).prediction_id


def test_erasing_a_prediction_with_a_kept_photo_keeps_its_sha256_only(app, api):
    jpeg = small_jpeg()
    with app.app_context():
        photo = keep_photo(jpeg=jpeg)
    assert api.delete(f"/api/predictions/{prediction_of(app, photo)}").status_code == 204
    with app.app_context():
        assert db.session.get(TrainingPhoto, photo) is None
        assert erased_photos.unmarked() == [hashlib.sha256(jpeg).hexdigest()]
    assert erased(app) == {hashlib.sha256(jpeg).hexdigest(): None}


def test_erasing_a_prediction_without_a_photo_records_nothing(app, api):
    with app.app_context():
        photo = keep_photo()
        other = records.get(prediction_of(app, photo))
        db.session.delete(db.session.get(TrainingPhoto, photo))  # a prediction without a photo
        db.session.commit()
        records.erase(other.id)
    assert erased(app) == {}


def test_a_retention_purge_is_no_erasure_request(app):
    with app.app_context():
        keep_photo(jpeg=small_jpeg((1, 2, 3)))
        deleted = records.purge_training_photos(datetime.timedelta(seconds=-1))
    assert deleted == 1 and erased(app) == {}


def test_settled_erasures_are_compared_again_when_the_photo_is_erased_again(app):
    jpeg = small_jpeg((9, 9, 9))
    digest = hashlib.sha256(jpeg).hexdigest()
    with app.app_context():
        records.erase(prediction_of(app, keep_photo(jpeg=jpeg)))
        erased_photos.settle([digest], utc_now())
        assert erased_photos.unmarked() == []
        records.erase(prediction_of(app, keep_photo(jpeg=jpeg)))  # kept anew, erased again
        assert erased_photos.unmarked() == [digest]
        assert erased_photos.every_sha256() == {digest}
