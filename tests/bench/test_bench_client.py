"""`make bench`'s load client: what it counts must be what the service answered."""

from sqlalchemy import func, select

from bench.client import UploadClient
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction
from tests.helpers import TOKEN
from tests.serve_helpers import free_port, serve


def test_each_post_is_a_stored_prediction_on_one_connection(app, cat_photo):
    with serve(app) as url:
        client = UploadClient(url, TOKEN)
        answers = [client.post("/api/predict", cat_photo) for _ in range(5)]
        socket = client.sock
        client.post("/api/predict", cat_photo)
        assert client.sock is socket  # keep-alive: one connection for all posts
        client.close()
    assert [status for _, status in answers] == [200] * 5
    assert all(ms > 0 for ms, _ in answers)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Prediction)) == 6


def test_rejections_and_refused_connections_are_counted_as_failures(app, cat_photo):
    with serve(app) as url:
        with UploadClient(url, "wrong-token") as client:
            _, status = client.post("/api/predict", cat_photo)
        with UploadClient(url, TOKEN) as client:
            _, not_an_image = client.post("/api/predict", b"plain text")
    with UploadClient(f"http://127.0.0.1:{free_port()}", TOKEN) as client:
        _, refused = client.post("/api/predict", cat_photo)
    assert (status, not_an_image, refused) == (401, 415, 0)
