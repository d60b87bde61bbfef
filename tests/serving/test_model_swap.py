"""Promotion, rollback and a registry outage under load: real waitress, real MLflow, 8 clients."""

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from catsdogs import serving
from catsdogs.serving.classifier import load_classifier
from catsdogs.registry.lifecycle import CHAMPION
from catsdogs.registry.client import Registry
from tests.registry import model_versions
from tests.helpers import TOKEN, photos_of_known_class, shared_photos
from tests.registry.mlflow_server import MlflowServer
from tests.serve_helpers import serve

pytestmark = [
    pytest.mark.system,  # real MLflow servers and waitress under load
    pytest.mark.one_database,  # swaps under load, whatever stores the rows
]
CLIENTS = 8
POLL_SECONDS = 2.0


class Load:
    """Clients posting photos in a loop; every answer is kept with the time it came back."""

    def __init__(self, url: str, photos: list[tuple[str, bytes]]):
        self.url, self.photos = url, photos
        # (received, photo name, status, body, sent): monotonic times
        self.answers: list[tuple[float, str, int, dict, float]] = []
        self.stopped, self.lock = threading.Event(), threading.Lock()

    def client(self, offset: int) -> None:
        with requests.Session() as session:
            turn = offset
            while not self.stopped.is_set():
                name, photo = self.photos[turn % len(self.photos)]
                turn += 1
                sent = time.monotonic()
                response = session.post(
                    f"{self.url}/api/predict",
                    timeout=30,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    files={"file": ("photo.jpg", photo, "image/jpeg")},
                )
                body = response.json() if response.ok else {"error": response.text}
                with self.lock:
                    self.answers.append((time.monotonic(), name, response.status_code, body, sent))

    @contextlib.contextmanager
    def running(self, clients: int):
        """Run `clients` clients until the block ends, however it ends."""
        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(self.client, n) for n in range(clients)]
            try:
                yield self
            finally:
                self.stopped.set()
            for future in futures:
                future.result()

    def first_answer_of(self, version: str, after: float, timeout: float) -> float:
        """Seconds from `after` to the first answer by `version`."""
        deadline = after + timeout
        while time.monotonic() < deadline:
            with self.lock:
                times = [t for t, _, _, body, _ in self.answers if t >= after and body.get(
                    "model_version") == version]  # fmt: skip
            if times:
                return min(times) - after
            time.sleep(0.1)
        raise AssertionError(f"no answer by {version} within {timeout} s")


@pytest.fixture
def photos(tmp_path):
    """Two cats and two dogs, also the check photos every version must classify right."""
    photos_of_known_class(tmp_path / "checks")
    return shared_photos("Cat", 2) + shared_photos("Dog", 2)


def swap_app(make_app, registry_url, name, tmp_path):
    app = make_app(
        MLFLOW_TRACKING_URI=registry_url,
        MLFLOW_MODEL_NAME=name,
        MODEL_POLL_SECONDS=POLL_SECONDS,
        MODEL_CHECK_PHOTOS=str(tmp_path / "checks"),
        RATELIMIT_ENABLED=False,
    )
    serving.parts(app).models.check()
    serving.parts(app).model_watch.start()  # what a served process does at start
    return app


def test_promote_then_roll_back_under_load_fails_no_request(
    make_app, registry, mlflow_server, tmp_path, photos
):
    old = model_versions.register(registry, model_versions.shipped(tmp_path / "old"))
    new = model_versions.register(registry, model_versions.damped(tmp_path / "new"))
    registry.set_alias(CHAMPION, old.registry_version)
    models = [load_classifier(tmp_path / folder / "catsdogs.onnx") for folder in ("old", "new")]
    old_name, new_name = (model.model_version for model in models)
    truth = {  # each version's own probabilities for each photo
        model.model_version: {name: model.predict(data).probabilities for name, data in photos}
        for model in models
    }
    app = swap_app(make_app, mlflow_server.url, registry.name, tmp_path)
    assert serving.parts(app).models.champion.registry_version == old.registry_version
    with serve(app, threads=CLIENTS) as url, Load(url, photos).running(CLIENTS) as load:
        started = time.monotonic()
        time.sleep(8)
        promoted = time.monotonic()
        registry.set_alias(CHAMPION, new.registry_version)
        promotion = load.first_answer_of(new_name, promoted, POLL_SECONDS + 10)
        time.sleep(max(0.0, promoted + 15 - time.monotonic()))
        rolled_back = time.monotonic()
        registry.set_alias(CHAMPION, old.registry_version)
        rollback = load.first_answer_of(old_name, rolled_back, POLL_SECONDS + 10)
        time.sleep(max(0.0, started + 32 - time.monotonic()))
    duration = time.monotonic() - started
    assert duration >= 30
    statuses = [status for _, _, status, _, _ in load.answers]
    assert statuses.count(200) == len(statuses) > 100, {s for s in statuses if s != 200}
    for _, name, _, body, _ in load.answers:
        expected = truth[body["model_version"]][name]  # KeyError: a version nobody served
        assert body["probabilities"] == pytest.approx(expected, abs=1e-5)
    by_version = {body["model_version"] for _, _, _, body, _ in load.answers}
    assert by_version == {old_name, new_name}
    # Requests in flight finish on the model they started with; one sent after the first answer
    # of the old version came back started after the swap, so only the old version answers it.
    swapped_back = rolled_back + rollback
    after = {body["model_version"] for _, _, _, body, sent in load.answers if sent > swapped_back}
    assert after == {old_name}
    print(
        f"\nswap: promotion {promotion:.1f} s, rollback {rollback:.1f} s, {len(statuses)} requests"
    )


def test_a_registry_outage_fails_no_prediction_and_shows_in_health(
    make_app, tmp_path, tmp_path_factory, photos
):
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-outage")).start()
    try:
        registry = Registry(server.url, name="catsdogs-outage", timeout=60)
        version = model_versions.register(registry, model_versions.shipped(tmp_path / "v"))
        registry.set_alias(CHAMPION, version.registry_version)
        app = swap_app(make_app, server.url, registry.name, tmp_path)
        with serve(app, threads=CLIENTS) as url, Load(url, photos).running(CLIENTS) as load:
            time.sleep(2)
            server.stop()
            wait_for(lambda: registry_state(url)["reachable"] is False, POLL_SECONDS + 10)
            down = registry_state(url)
            assert down["last_error"] and down["last_success"]
            assert health(url)["serving"]["registry_version"] == version.registry_version
            time.sleep(3)
            server.start()
            wait_for(lambda: registry_state(url)["reachable"] is True, POLL_SECONDS + 30)
        statuses = [status for _, _, status, _, _ in load.answers]
        assert statuses.count(200) == len(statuses) > 20
    finally:
        server.stop()


def health(url: str) -> dict:
    auth = {"Authorization": f"Bearer {TOKEN}"}  # the registry's state is detail for `read`
    return requests.get(f"{url}/health/ready", headers=auth, timeout=10).json()


def registry_state(url: str) -> dict:
    return health(url)["registry"]


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)
