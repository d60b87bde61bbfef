"""shadow: the challenger's answers beside the champion's, off the request path (real MLflow)."""

import io
import threading

import pytest

from catsdogs import serving
from catsdogs.extensions import db
from catsdogs.registry.lifecycle import CHALLENGER
from catsdogs.store.tables import Prediction
from catsdogs.serving.imaging import decode_photo
from catsdogs.serving.shadow import ShadowWorker
from tests.registry import model_versions
from tests.helpers import AUTH, image_bytes, metric_samples, photos_of_known_class


class Recorder:
    def __init__(self):
        self.answers, self.drops = [], 0

    def record(self, job, prediction, seconds):
        self.answers.append((job.prediction_id, prediction.label, seconds))

    def dropped(self):
        self.drops += 1


def photo(classifier):
    """A photo as the request decoded it."""
    return decode_photo(image_bytes(), classifier.card.input_size)


def test_a_drawn_photo_is_classified_by_the_challenger(classifier):
    recorder = Recorder()
    worker = ShadowWorker(1.0, lambda: classifier, recorder.record, recorder.dropped)
    prediction = classifier.predict(image_bytes())
    assert worker.offer(7, photo(classifier), prediction)
    worker.drain()
    worker.stop()
    [(prediction_id, label, seconds)] = recorder.answers
    assert prediction_id == 7 and label == prediction.label and seconds > 0


def test_nothing_is_queued_without_a_challenger_or_outside_the_sample(classifier):
    recorder = Recorder()
    decoded, prediction = photo(classifier), classifier.predict(image_bytes())
    assert not ShadowWorker(1.0, lambda: None, recorder.record, recorder.dropped).offer(
        1, decoded, prediction
    )
    assert not ShadowWorker(0.0, lambda: classifier, recorder.record, recorder.dropped).offer(
        1, decoded, prediction
    )
    assert recorder.answers == [] and recorder.drops == 0


def test_a_full_queue_drops_and_counts_instead_of_waiting(classifier):
    release, recorder = threading.Event(), Recorder()

    class Slow:
        card = classifier.card

        def predict_resized(self, pixels, **timings):
            release.wait(10)
            return classifier.predict_resized(pixels, **timings)

    worker = ShadowWorker(1.0, lambda: Slow(), recorder.record, recorder.dropped, capacity=1)
    prediction = classifier.predict(image_bytes())
    offered = [worker.offer(n, photo(classifier), prediction) for n in range(5)]
    assert offered[:2] == [True, True]  # one running, one queued
    assert recorder.drops == 3 and offered[2:] == [False, False, False]
    release.set()
    worker.drain()
    worker.stop()
    assert len(recorder.answers) == 2


@pytest.fixture
def shadow_app(make_app, registry, mlflow_server, tmp_path):
    folder = photos_of_known_class(tmp_path / "checks")
    version = model_versions.register(registry, model_versions.damped(tmp_path / "v"))
    registry.set_alias(CHALLENGER, version.registry_version)
    return make_app(
        MLFLOW_TRACKING_URI=mlflow_server.url,
        MLFLOW_MODEL_NAME=registry.name,
        MODEL_CHECK_PHOTOS=str(folder),
        SHADOW_SAMPLE=1.0,
    )


def test_the_challengers_answer_is_stored_beside_the_champions(shadow_app, cat_photo):
    client = shadow_app.test_client()
    status = client.post("/api/model/reload", headers=AUTH).get_json()
    assert status["shadow"]["version"] == "2.0.0-damped"
    answer = client.post(
        "/api/predict",
        headers=AUTH,
        data={"file": (io.BytesIO(cat_photo), "cat.jpg")},
    ).get_json()
    champion = serving.parts(shadow_app).classifier
    assert answer["model_version"] == champion.model_version  # the champion answers
    serving.parts(shadow_app).shadow.drain()
    with shadow_app.app_context():
        row = db.session.get(Prediction, answer["id"])
        assert (row.shadow_model_version, row.shadow_result) == ("2.0.0-damped", "cat")
        # the damped model maps p to 0.8 p + 0.1: its own probabilities, not the champion's
        assert row.shadow_proba_dog == pytest.approx(0.8 * row.proba_dog + 0.1, abs=1e-5)
        assert row.shadow_time_ms > 0
    agreement = metric_samples(client, "cv_shadow_predictions_total")
    champion = answer["model_version"]
    key = (("agreement", "agree"), ("challenger", "2.0.0-damped"), ("champion", champion))
    assert agreement[key] == 1
    latency = metric_samples(client, "cv_shadow_inference_time_seconds_count")
    assert latency[(("version", "2.0.0-damped"),)] == 1
    roles = metric_samples(client, "cv_model_info")
    assert roles[(("role", "challenger"), ("version", "2.0.0-damped"))] == 1
