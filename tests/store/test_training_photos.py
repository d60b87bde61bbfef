"""Photos kept for training: only with that consent (the database sees to it), downscaled and
stripped of metadata, stored with their row or spooled with it, erased and purged with it."""

import datetime
import hashlib
import io
import json
import logging
import re

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import exc, insert, select, update

from catsdogs import serving, store

from catsdogs.store import records
from catsdogs.extensions import db
from catsdogs.serving.classifier import Answer
from catsdogs.store.tables import Prediction, TrainingPhoto, utc_now
from catsdogs.store.training_photos import MAX_SIDE, KeptPhoto, downscale
from tests.helpers import AUTH, image_bytes, stored_prediction
from tests.web.forms import HX, PLAIN, classify, erase

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_metadata(size=(800, 600), orientation: int | None = None) -> bytes:
    """A camera-like JPEG: EXIF with a GPS position (and an orientation), ICC profile, comment."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: see it turn
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    if orientation:
        exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, icc_profile=b"fake-icc-profile" * 4, comment=b"me@home")
    return buffer.getvalue()


def opened(photo: KeptPhoto) -> Image.Image:
    image = Image.open(io.BytesIO(photo.jpeg))
    image.load()
    return image


def model_prediction(label="cat") -> Answer:
    other = "dog" if label == "cat" else "cat"
    return Answer(label, {label: 0.8, other: 0.2}, "test-version", 1.0, 2.0, 3.0)


def photos() -> list[TrainingPhoto]:
    return list(db.session.scalars(select(TrainingPhoto).order_by(TrainingPhoto.id)))


def add_prediction(training_consent: bool, rgpd_consent: bool = True, days_ago: float = 0) -> int:
    return stored_prediction(days_ago, rgpd_consent=rgpd_consent, training_consent=training_consent)


def add_photo(prediction_id: int, days_ago: float = 0, training_consent: bool = True) -> None:
    photo = downscale(image_bytes(size=(8, 8), fmt="JPEG"))
    db.session.execute(
        insert(TrainingPhoto).values(
            prediction_id=prediction_id,
            training_consent=training_consent,
            created_at=utc_now() - datetime.timedelta(days=days_ago),
            jpeg=photo.jpeg,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
    )
    db.session.commit()


# The image work


@pytest.mark.parametrize(
    "size, kept",
    [
        ((1000, 500), (320, 160)),
        ((480, 1200), (128, 320)),
        ((320, 320), (320, 320)),
        ((100, 40), (100, 40)),  # never enlarged
        ((1, 1), (1, 1)),
    ],
)
def test_the_longest_side_is_at_most_320_and_the_shape_stays(size, kept):
    photo = downscale(image_bytes(size=size, fmt="PNG"))
    assert (photo.width, photo.height) == kept == opened(photo).size
    assert max(kept) <= MAX_SIDE


def test_the_kept_copy_has_no_metadata_left():
    original = jpeg_with_metadata()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo has GPS
    kept = opened(downscale(original))
    assert kept.format == "JPEG" and kept.mode == "RGB" and kept.size == (320, 240)
    assert not kept.getexif() and not kept.getexif().get_ifd(GPS_IFD)
    assert not {"exif", "icc_profile", "comment"} & kept.info.keys()
    assert (
        b"PhoneMaker" not in downscale(original).jpeg and b"me@home" not in downscale(original).jpeg
    )


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera was turned a quarter; the photo is shown 600 wide, 800 high.
    kept = opened(downscale(jpeg_with_metadata(size=(800, 600), orientation=6)))
    assert kept.size == (240, 320) and ORIENTATION not in kept.getexif()
    # The blue left half of the stored pixels is on top once turned clockwise.
    top, bottom = kept.getpixel((120, 20)), kept.getpixel((120, 300))
    assert top[2] > top[0] and bottom[0] > bottom[2]


def test_transparency_and_palettes_become_rgb_and_the_hash_is_of_the_stored_bytes():
    photo = downscale(image_bytes("RGBA", size=(50, 40), color=(0, 0, 0, 0)))
    assert opened(photo).mode == "RGB" and opened(photo).getpixel((5, 5)) > (240, 240, 240)
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()


def test_a_spooled_photo_comes_back_as_it_was():
    photo = downscale(jpeg_with_metadata())
    assert KeptPhoto.from_spool(json.loads(json.dumps(photo.to_spool()))) == photo


# What the database refuses (SQLite and PostgreSQL)


def test_the_database_refuses_a_photo_without_training_consent(app):
    with app.app_context():
        prediction_id = add_prediction(training_consent=False)
        with pytest.raises(exc.IntegrityError):
            add_photo(prediction_id)
        db.session.rollback()
        with pytest.raises(exc.IntegrityError):  # nor may the photo row claim it on its own
            add_photo(prediction_id, training_consent=False)
        db.session.rollback()
        assert photos() == []


def test_the_database_refuses_training_consent_without_the_first_consent(app):
    with app.app_context():
        with pytest.raises(exc.IntegrityError):
            add_prediction(training_consent=True, rgpd_consent=False)
        db.session.rollback()


def test_the_database_refuses_withdrawing_consent_while_the_photo_is_kept(app):
    with app.app_context():
        prediction_id = add_prediction(training_consent=True)
        add_photo(prediction_id)
        with pytest.raises(exc.IntegrityError):
            db.session.execute(
                update(Prediction)
                .where(Prediction.id == prediction_id)
                .values(training_consent=False)
            )
            db.session.commit()
        db.session.rollback()
        assert len(photos()) == 1
        assert db.session.get(Prediction, prediction_id).training_consent is True


# Stored with the row, spooled with it, replayed with it


def test_the_photo_is_stored_with_its_prediction(app):
    photo = downscale(jpeg_with_metadata())
    with app.app_context():
        writer = store.parts(app).writer
        prediction_id = writer.save_prediction(model_prediction(), True, "rex.jpg", photo)
        [kept] = photos()
        row = db.session.get(Prediction, prediction_id)
        assert row.training_consent is True and kept.prediction_id == prediction_id
        assert (kept.jpeg, kept.sha256, kept.width, kept.height) == (
            photo.jpeg,
            photo.sha256,
            320,
            240,
        )
        assert kept.created_at == row.created_at and kept.review is None


def test_a_photo_the_database_refuses_takes_its_prediction_with_it(app, monkeypatch):
    """One transaction: a failed photo INSERT leaves no row without its photo."""
    photo = downscale(image_bytes(fmt="JPEG"))
    bad = KeptPhoto(photo.jpeg, photo.sha256, photo.width, None)  # height is NOT NULL
    with app.app_context():
        with pytest.raises(exc.IntegrityError):
            store.parts(app).writer.save_prediction(model_prediction(), True, "rex.jpg", bad)
        assert records.count() == 0 and photos() == []


def test_a_spooled_prediction_is_replayed_with_its_photo_once(app, make_app, tmp_path):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    photo = downscale(jpeg_with_metadata())
    with down.app_context():
        writer = store.parts(down).writer
        assert writer.save_prediction(model_prediction(), True, "cat.jpg", photo) is None
    [line] = store.parts(down).spool.path.read_text().splitlines()
    spooled = json.loads(line)
    assert spooled["training_consent"] is True and spooled["training_photo"]["sha256"]
    with app.app_context():
        assert store.parts(app).spool.replay(records.replay) == 1
        records.replay([spooled])  # replayed twice (another replica): stored once
        [kept] = photos()
        [row] = db.session.scalars(select(Prediction))
        assert row.request_id == spooled["request_id"] and row.training_consent is True
        assert kept.prediction_id == row.id and kept.jpeg == photo.jpeg
        assert kept.sha256 == photo.sha256 and (kept.width, kept.height) == (320, 240)


def test_batches_never_keep_photos(app):
    """classify_batch serves /v2: no consent travels with it, so no photo is kept."""
    with app.app_context():
        service = serving.parts(app).classification
        service.classify_batch([image_bytes(fmt="JPEG"), image_bytes(fmt="PNG")])
        assert records.count() == 2 and photos() == []
        assert not any(db.session.scalars(select(Prediction.training_consent)))


# The API and the page


def predict(api, data: bytes, **form):
    return api.post(
        "/api/predict",
        data={"file": (io.BytesIO(data), "photo.jpg"), **form},
        content_type="multipart/form-data",
    )


def test_the_api_keeps_a_photo_only_with_training_consent(api, app, cat_photo):
    kept = predict(api, cat_photo, rgpd_consent="true", training_consent="True").get_json()
    consent_only = predict(api, cat_photo, rgpd_consent="true").get_json()
    refused = predict(api, cat_photo, rgpd_consent="true", training_consent="no").get_json()
    assert kept["training_photo_kept"] is True
    assert consent_only["training_photo_kept"] is False and refused["training_photo_kept"] is False
    with app.app_context():
        [photo] = photos()
        assert photo.prediction_id == kept["id"] and max(photo.width, photo.height) <= MAX_SIDE
        assert db.session.get(Prediction, kept["id"]).training_consent is True
        assert db.session.get(Prediction, consent_only["id"]).training_consent is False
    listed = {item["id"]: item for item in api.get("/api/predictions").get_json()["items"]}
    assert listed[kept["id"]]["training_consent"] is True


def test_training_consent_without_the_first_consent_is_400_and_stores_nothing(api, app, cat_photo):
    for form in ({"training_consent": "true"}, {"training_consent": "1", "rgpd_consent": "no"}):
        response = predict(api, cat_photo, **form)
        body = response.get_json()
        assert response.status_code == 400, body
        assert body["error"] == "training_consent_without_consent"
        assert "rgpd_consent" in body["message"]
    with app.app_context():
        assert records.count() == 0 and photos() == []


@pytest.mark.parametrize("value", ["maybe", "2", "null", "yes please", "✓"])
def test_an_unclear_training_consent_is_400(api, app, cat_photo, value):
    response = predict(api, cat_photo, rgpd_consent="true", training_consent=value)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert "training_consent" in response.get_json()["message"]
    with app.app_context():
        assert records.count() == 0


def test_while_the_database_is_down_the_api_spools_the_photo_and_replay_stores_it(
    app, make_app, tmp_path, cat_photo
):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    response = down.test_client().post(
        "/api/predict",
        headers=AUTH,
        data={
            "file": (io.BytesIO(cat_photo), "photo.jpg"),
            "rgpd_consent": "true",
            "training_consent": "true",
        },
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert response.status_code == 200 and body["id"] is None
    assert body["training_photo_kept"] is True
    with app.app_context():  # the same instance folder, so the same spool
        assert store.parts(app).spool.replay(records.replay) == 1
        [photo] = photos()
        assert photo.prediction.training_consent and max(photo.width, photo.height) <= MAX_SIDE


def test_the_api_erasure_deletes_the_photo(api, app, cat_photo, dog_photo):
    kept = predict(api, cat_photo, rgpd_consent="true", training_consent="true").get_json()
    other = predict(api, dog_photo, rgpd_consent="true", training_consent="true").get_json()
    assert api.delete(f"/api/predictions/{kept['id']}").status_code == 204
    with app.app_context():
        assert [photo.prediction_id for photo in photos()] == [other["id"]]


def test_the_page_keeps_a_photo_only_with_training_consent_and_says_so(htmx, app, cat_photo):
    with_photo = classify(htmx, cat_photo, training_consent=True).get_data(as_text=True)
    without = classify(htmx, cat_photo).get_data(as_text=True)
    line = "A small copy of your photo is kept to help improve the model"
    assert line in with_photo and line not in without
    with app.app_context():
        rows = list(db.session.scalars(select(Prediction).order_by(Prediction.id)))
        assert [row.training_consent for row in rows] == [True, False]
        assert [photo.prediction_id for photo in photos()] == [rows[0].id]


@pytest.mark.parametrize("headers, status", [(HX, 200), (PLAIN, 400)])  # htmx swaps only 2xx
def test_the_page_asks_for_the_first_consent_before_keeping_a_photo(
    htmx, app, cat_photo, headers, status
):
    response = classify(htmx, cat_photo, consent=False, training_consent=True, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == status and 'role="alert"' in body
    assert "also tick “Keep the file name of my photo and let me give feedback”" in body
    with app.app_context():
        assert records.count() == 0 and photos() == []


def test_the_page_offers_the_second_box_unticked_and_explains_it(client, app):
    page = client.get("/").get_data(as_text=True)
    box = re.search(r'<input id="training-consent"[^>]*>', page).group(0)
    assert 'name="training_consent"' in box and "checked" not in box
    assert "Keep my photo to help improve the model" in page
    days = app.config["TRAINING_PHOTO_RETENTION_DAYS"]
    assert f"for {days} days or until you delete the prediction" in page
    info = client.get("/info").get_data(as_text=True)
    assert 'id="training-photos"' in info and f"deleted after {days} days" in info
    assert "GPS location" in info


def test_the_page_delete_button_deletes_the_photo(htmx, app, cat_photo):
    classify(htmx, cat_photo, training_consent=True)
    with app.app_context():
        [photo] = photos()
    response = erase(htmx, photo.prediction_id)
    assert response.status_code == 200 and "Prediction deleted" in response.get_data(as_text=True)
    with app.app_context():
        assert photos() == [] and records.count() == 0


# Retention


def purged_photos_total(app) -> float:
    families = text_string_to_metric_families(app.test_client().get("/metrics").text)
    [value] = [
        s.value for f in families for s in f.samples if s.name == "cv_purged_training_photos_total"
    ]
    return value


def test_the_purge_deletes_photos_past_their_own_retention(make_app, caplog):
    app = make_app(RETENTION_DAYS=30, TRAINING_PHOTO_RETENTION_DAYS=365)
    with app.app_context():
        old, kept = add_prediction(True, days_ago=400), add_prediction(True, days_ago=100)
        add_photo(old, days_ago=400)
        add_photo(kept, days_ago=100)  # its prediction's file name goes, the photo stays
    purge = store.parts(app).purge
    with caplog.at_level(logging.INFO, logger="catsdogs.store.retention"):
        purge.purge()
        purge.purge()  # a second replica, or the next round, finds nothing left
    assert [r.getMessage() for r in caplog.records] == [
        "retention: deleted 1 training photos older than 365 days"
    ]
    with app.app_context():
        assert [photo.prediction_id for photo in photos()] == [kept]
        assert db.session.get(Prediction, old).training_consent is True  # the vote stays
    assert purged_photos_total(app) == 1


def test_the_purge_command_deletes_photos_past_their_retention(make_app):
    app = make_app(TRAINING_PHOTO_RETENTION_DAYS=10)
    with app.app_context():
        old, recent = add_prediction(True, days_ago=12), add_prediction(True, days_ago=5)
        add_photo(old, days_ago=12)
        add_photo(recent, days_ago=5)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 training photos older than 10d." in result.output
    with app.app_context():
        assert [photo.prediction_id for photo in photos()] == [recent]


@pytest.mark.parametrize("days", [0, -5])
def test_a_retention_under_a_day_is_refused_at_start(make_app, days):
    with pytest.raises(ValueError, match="TRAINING_PHOTO_RETENTION_DAYS"):
        make_app(TRAINING_PHOTO_RETENTION_DAYS=days)
