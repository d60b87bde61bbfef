"""What is let in for training (issue 27, finding 7): a daily quota per address (per token on
the API), a cap on the photos waiting for review, and one stored copy of the same photo. The
prediction answers either way, and the answer says the photo was not kept."""

import io

import pytest
from sqlalchemy import select

from catsdogs.extensions import db
from catsdogs.store import records, review
from catsdogs.store.tables import Prediction, TrainingPhoto
from catsdogs.store.training_photos import downscale
from tests.helpers import ApiClient, HtmxClient, image_bytes, prediction_row
from tests.web.forms import classify

NOT_KEPT = "Your photo was not kept for training"


def photo(number: int) -> bytes:
    """A photo of its own: a different colour, so different kept bytes."""
    return image_bytes(size=(40, 30), fmt="JPEG", color=(10 * number, 100, 200 - 10 * number))


def kept_photos(app) -> list[TrainingPhoto]:
    with app.app_context():
        return list(db.session.scalars(select(TrainingPhoto).order_by(TrainingPhoto.id)))


def page_client(app, address: str) -> HtmxClient:
    app.test_client_class = HtmxClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def predict(app, data: bytes) -> dict:
    app.test_client_class = ApiClient
    response = app.test_client().post(
        "/api/predict",
        data={"file": (io.BytesIO(data), "p.jpg"), "rgpd_consent": "1", "training_consent": "1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_json()


def test_an_address_over_its_daily_quota_keeps_no_photo_and_is_told(make_app):
    app = make_app(TRAINING_PHOTOS_PER_ADDRESS_PER_DAY=2)
    busy, other = page_client(app, "203.0.113.7"), page_client(app, "198.51.100.9")
    for number in (1, 2):
        page = classify(busy, photo(number), training_consent=True).get_data(as_text=True)
        assert "A small copy of your photo is kept" in page
    page = classify(busy, photo(3), training_consent=True).get_data(as_text=True)
    # The prediction still answers: a cat, a dog, not sure, or (for this flat colour, to the
    # shipped model) not a cat or a dog.
    assert '<article class="card outcome' in page
    assert f"{NOT_KEPT}: photos from your connection have reached today’s limit" in page
    page = classify(other, photo(4), training_consent=True).get_data(as_text=True)
    assert "A small copy of your photo is kept" in page  # another address is not affected
    assert len(kept_photos(app)) == 3
    with app.app_context():  # the refused photo's row says no photo was kept for training
        assert [row.training_consent for row in db.session.scalars(select(Prediction))] == [
            True,
            True,
            False,
            True,
        ]


def test_the_page_says_so_in_french(make_app):
    app = make_app(TRAINING_PHOTOS_PER_ADDRESS_PER_DAY=0)
    client = page_client(app, "203.0.113.7")
    page = classify(
        client, photo(1), training_consent=True, headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "Votre photo n’a pas été gardée pour l’entraînement" in page


def test_the_api_counts_per_token_and_says_why(make_app):
    app = make_app(TRAINING_PHOTOS_PER_ADDRESS_PER_DAY=1)
    first, second = predict(app, photo(1)), predict(app, photo(2))
    assert first["training_photo_kept"] is True and "training_photo_refused" not in first
    assert second["training_photo_kept"] is False
    assert second["training_photo_refused"] == "daily_limit"
    assert second["prediction"] in ("cat", "dog") and second["id"] is not None
    # The page's visitors are not the token's: their own quota.
    page = classify(page_client(app, "127.0.0.1"), photo(3), training_consent=True)
    assert "A small copy of your photo is kept" in page.get_data(as_text=True)
    assert len(kept_photos(app)) == 2


def test_a_full_review_queue_keeps_no_new_photo_until_one_is_reviewed(make_app):
    app = make_app(REVIEW_QUEUE_MAX=1)
    assert predict(app, photo(1))["training_photo_kept"] is True
    refused = predict(app, photo(2))
    assert refused["training_photo_kept"] is False
    assert refused["training_photo_refused"] == "queue_full"
    page = classify(page_client(app, "198.51.100.9"), photo(3), training_consent=True)
    assert "too many photos are waiting for review" in page.get_data(as_text=True)
    [waiting] = kept_photos(app)
    with app.app_context():
        review.review(waiting.id, "cat", "Ada")
    assert predict(app, photo(4))["training_photo_kept"] is True  # reviewed: room again


def test_the_same_photo_twice_is_stored_once_and_costs_no_quota(make_app):
    app = make_app(TRAINING_PHOTOS_PER_ADDRESS_PER_DAY=2)
    first, again = predict(app, photo(1)), predict(app, photo(1))
    assert first["training_photo_kept"] is True
    assert again["training_photo_kept"] is False
    assert again["training_photo_refused"] == "already_kept"
    assert predict(app, photo(2))["training_photo_kept"] is True  # the duplicate took none
    assert [kept.prediction_id for kept in kept_photos(app)] == [first["id"], first["id"] + 2]


@pytest.mark.parametrize("erased", ["holder", "duplicate"])
def test_erasure_stays_right_with_a_duplicate(make_app, erased):
    """Erasing the prediction that holds the photo deletes it; erasing the duplicate's row (kept
    without the photo) leaves the photo another consented prediction holds."""
    app = make_app()
    holder, duplicate = predict(app, photo(1)), predict(app, photo(1))
    app.test_client_class = ApiClient
    target = holder if erased == "holder" else duplicate
    assert app.test_client().delete(f"/api/predictions/{target['id']}").status_code == 204
    left = [kept.prediction_id for kept in kept_photos(app)]
    assert left == ([] if erased == "holder" else [holder["id"]])


def test_a_replayed_duplicate_is_not_stored_twice(app):
    """Rows spooled while the database was down go through the same insert: one copy."""
    kept = downscale(photo(1))
    with app.app_context():
        rows = [
            # the rows of two requests that sent the same photo
            prediction_row(rgpd_consent=True, training_consent=True)
            for _ in range(2)
        ]
        ids = [records._insert(row, kept) for row in rows]
        assert [p.prediction_id for p in kept_photos(app)] == [ids[0]]


def test_while_the_quota_store_is_down_the_prediction_answers_and_keeps_no_photo(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9")  # nothing listens on port 9
    answer = predict(app, photo(1))
    assert answer["prediction"] in ("cat", "dog") and answer["id"] is not None
    assert answer["training_photo_kept"] is False
    assert answer["training_photo_refused"] == "unavailable"
    page = classify(page_client(app, "198.51.100.9"), photo(2), training_consent=True)
    assert f"{NOT_KEPT}: today’s limit cannot be checked right now" in page.get_data(as_text=True)
    assert kept_photos(app) == []
