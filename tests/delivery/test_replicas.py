"""Two replicas on one machine behave as one service: two waitress processes behind HAProxy,
sharing a real PostgreSQL database and a real Redis (never SQLite, never memory://)."""

import contextlib
import itertools
import re
import secrets
import shutil
import signal
import threading
import time

import pytest
import redis
import requests
from requests.adapters import HTTPAdapter

from catsdogs.registry.lifecycle import CHAMPION
from catsdogs.registry.client import Registry
from replicas.launch import Replicas
from tests.registry import model_versions
from tests.delivery import engine
from tests.helpers import image_bytes, photos_of_known_class
from tests.registry.mlflow_server import MlflowServer
from tests.serve_helpers import free_port

pytestmark = pytest.mark.system  # HAProxy, Redis, PostgreSQL and an MLflow server
REDIS = "redis://127.0.0.1:6379/0"
POLL_SECONDS = 1
PER_TOKEN = 8  # requests a minute per API token, low enough to reach in a test
# Requests a minute per address without a token: above the page test's few from 127.0.0.1.
PER_ADDRESS = 20
LOAD_TOKENS = 10  # the load test spreads its 40 requests over these: 4 each, under PER_TOKEN
# The promotion test asks every PROMOTION_PAUSE seconds for up to 2 x (POLL_SECONDS + 10) s:
# spread over these tokens, that stays under PER_TOKEN even on a fast machine.
PROMOTION_TOKENS, PROMOTION_PAUSE = 30, 0.1


@pytest.fixture(scope="module")
def tokens() -> dict[str, tuple[str, str]]:
    # Limits count per token name in the shared Redis: names of this session only.
    session = secrets.token_hex(4)
    names = ["feedback", "limited", *(f"load{i}" for i in range(LOAD_TOKENS))]
    names += [f"promotion{i}" for i in range(PROMOTION_TOKENS)]
    return {name: (f"{name}-{session}", secrets.token_hex(16)) for name in names}


@pytest.fixture(scope="module")
def pair(tmp_path_factory, tokens):
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed: ops/install-test-tools.sh installs it")
    try:
        redis.Redis.from_url(REDIS, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS}: {error}")
    folder = tmp_path_factory.mktemp("replicas")
    server = MlflowServer(tmp_path_factory.mktemp("mlflow")).start()
    registry = Registry(server.url, name="catsdogs-replicas", timeout=60)
    checks = photos_of_known_class(folder / "checks")
    first = model_versions.register(registry, model_versions.shipped(folder / "v1"), checks)
    registry.set_alias(CHAMPION, first.registry_version)
    with server_stopped(server), engine.new_database() as url:
        environment = {
            # Both follow one registry: a promotion must reach each within its poll.
            "MLFLOW_TRACKING_URI": server.url,
            "MLFLOW_MODEL_NAME": registry.name,
            "MODEL_POLL_SECONDS": str(POLL_SECONDS),
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_hex(24),  # shared: one replica's session is the other's
            "API_TOKENS": ",".join(f"{name}:{token}" for name, token in tokens.values()),
            "RATELIMIT_STORAGE_URI": REDIS,
            # Each replica a parent and two serving processes (docs/deploy.md, "Workers"): the
            # promotion, limits, sessions and SIGTERM must hold across workers as across replicas.
            "WORKERS": "2",
            "RATE_LIMIT_PER_TOKEN": f"{PER_TOKEN}/minute",
            "RATE_LIMIT_PER_ADDRESS": f"{PER_ADDRESS}/minute",
            "DATABASE_CHECK_SECONDS": "0",
            "PURGE_INTERVAL_SECONDS": "0",
        }
        ports = [free_port(*engine.PORTS) for _ in range(3)]
        with Replicas(environment, ports[:2], ports[2], folder, threads=4) as group:
            group.database, group.registry, group.checks = url, registry, checks
            yield group


@contextlib.contextmanager
def server_stopped(server):
    try:
        yield
    finally:
        server.stop()


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def served_by(response: requests.Response) -> str:
    return response.headers["X-Served-By"]


def predict(url: str, token: str, photo: bytes) -> requests.Response:
    return requests.post(
        f"{url}/api/predict",
        headers=auth(token),
        files={"file": ("photo.png", photo, "image/png")},
        data={"rgpd_consent": "true"},
        timeout=60,
    )


def stored_ids(pair, ids: list[int]) -> set[int]:
    rows = engine.query(
        pair.database, "SELECT id FROM predictions_feedback WHERE id = ANY(%s)", ids
    )
    return {row[0] for row in rows}


def test_the_balancer_spreads_requests_over_both_replicas(pair):
    answered = {served_by(requests.get(f"{pair.url}/health", timeout=5)) for _ in range(4)}
    assert answered == {"replica1", "replica2"}


def test_prediction_through_one_replica_feedback_and_erasure_through_the_other(pair, tokens):
    token = tokens["feedback"][1]
    made = predict(pair.url, token, image_bytes(size=(240, 180)))
    assert made.status_code == 200, made.text
    prediction = made.json()["feedback_id"]
    seen = [served_by(made)]
    feedback = requests.post(
        f"{pair.url}/api/update-feedback",
        headers=auth(token),
        json={"feedback_id": prediction, "user_feedback": 1, "user_comment": "a cat indeed"},
        timeout=10,
    )
    assert feedback.status_code == 200, feedback.text
    seen.append(served_by(feedback))
    erased = requests.delete(
        f"{pair.url}/api/predictions/{prediction}", headers=auth(token), timeout=10
    )
    assert erased.status_code == 204, erased.text
    seen.append(served_by(erased))
    assert seen[0] != seen[1] and seen[1] != seen[2], seen
    assert stored_ids(pair, [prediction]) == set()
    gone = requests.get(f"{pair.url}/api/predictions/{prediction}", headers=auth(token), timeout=10)
    assert gone.status_code == 404


def test_a_page_session_and_its_csrf_token_work_whichever_replica_answers(pair):
    browser = requests.Session()
    answered, statuses = [], []
    page = browser.get(f"{pair.url}/", timeout=10)
    answered.append(served_by(page))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "consent": "yes"}
    for _ in range(2):  # round robin: one of the two posts lands on the other replica
        result = browser.post(
            f"{pair.url}/classify",
            data=form,
            files={"file": ("photo.png", image_bytes(size=(200, 200)), "image/png")},
            timeout=60,
        )
        answered.append(served_by(result))
        statuses.append(result.status_code)
    assert statuses == [200, 200]
    assert set(answered) == {"replica1", "replica2"}
    prediction = re.search(r"/feedback/(\d+)", result.text).group(1)
    shown = re.search(r'name="request_id" value="([^"]+)"', result.text).group(1)
    voted = browser.post(
        f"{pair.url}/feedback/{prediction}",
        data={"csrf_token": token, "satisfied": "1", "request_id": shown},
        timeout=10,
    )
    assert voted.status_code == 200, voted.text[:500]


def test_the_rate_limit_is_shared_by_both_replicas(pair, tokens):
    token = tokens["limited"][1]
    answers = [
        requests.get(f"{pair.url}/api/statistics", headers=auth(token), timeout=10)
        for _ in range(PER_TOKEN + 1)
    ]
    assert {served_by(a) for a in answers[:PER_TOKEN]} == {"replica1", "replica2"}
    # With a count per process, each replica would allow PER_TOKEN: 2 x PER_TOKEN in all.
    assert [a.status_code for a in answers] == [200] * PER_TOKEN + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0


class FromAddress(HTTPAdapter):
    """Connect from `address` (any of 127.0.0.0/8 on Linux): another client for HAProxy."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def client_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


@pytest.fixture
def addresses() -> list[str]:
    """Loopback addresses of this test alone: limits count per address in the shared Redis."""
    return [f"127.{secrets.randbelow(250) + 1}.{secrets.randbelow(256)}.{n}" for n in (2, 3)]


def unauthenticated(session: requests.Session, url: str, spoofed: str | None = None) -> int:
    headers = {"X-Forwarded-For": spoofed} if spoofed else {}
    return session.get(f"{url}/api/statistics", headers=headers, timeout=10).status_code


def test_two_clients_behind_the_balancer_have_their_own_address_limit(pair, addresses):
    first, second = (client_at(address) for address in addresses)
    statuses = [unauthenticated(first, pair.url) for _ in range(PER_ADDRESS + 1)]
    assert statuses == [401] * PER_ADDRESS + [429]
    # Without X-Forwarded-For both would be HAProxy's 127.0.0.1: one count for all clients.
    assert unauthenticated(second, pair.url) == 401


def test_a_client_cannot_escape_its_limit_with_its_own_x_forwarded_for(pair, addresses):
    """HAProxy appends the address it saw; with one trusted hop the app reads only that one,
    so a header a client writes (another address each time) changes nothing."""
    client, other = addresses
    session = client_at(client)
    spoofed = [f"198.51.100.{n}" for n in range(PER_ADDRESS)] + [other]
    statuses = [unauthenticated(session, pair.url, address) for address in spoofed]
    assert statuses == [401] * PER_ADDRESS + [429]
    assert unauthenticated(client_at(other), pair.url) == 401  # its bucket was never charged


def test_a_model_promotion_reaches_both_replicas(pair, tokens, tmp_path):
    """Promote a model in the registry: within a poll and the checks, both replicas answer
    with it; roll back: both answer with the first again."""
    promotion_tokens = itertools.cycle(
        token for name, (_, token) in tokens.items() if name.startswith("promotion")
    )
    photo = image_bytes()
    first = pair.registry.by_alias(CHAMPION)
    folder = model_versions.damped(tmp_path / "v2")
    second = model_versions.register(pair.registry, folder, pair.checks)
    for version, name in ((second, "2.0.0-damped"), (first, first.model_version)):
        pair.registry.set_alias(CHAMPION, version.registry_version)
        deadline = time.monotonic() + POLL_SECONDS + 10
        seen: dict[str, str] = {}
        while set(seen.values()) != {name} or len(seen) < 2:
            assert time.monotonic() < deadline, f"not both on {name}: {seen}"
            answer = predict(pair.url, next(promotion_tokens), photo)
            assert answer.status_code == 200, answer.text
            seen[served_by(answer)] = answer.json()["model_version"]
            time.sleep(PROMOTION_PAUSE)


def test_stopping_a_replica_mid_load_loses_no_request_and_no_row(pair, tokens):
    """SIGTERM to one replica while four clients post through the balancer: what it had in
    flight is answered, what reaches its closed port is retried on the other, every answered
    prediction is stored, and the replica is started again for the other tests."""
    photo = image_bytes(size=(320, 240))
    results, lock = [], threading.Lock()
    stop_after, stopped = 12, threading.Event()
    total = 40

    def client(worker: int) -> None:
        session = requests.Session()
        for n in range(total // 4):
            token = tokens[f"load{(worker * 10 + n) % LOAD_TOKENS}"][1]
            try:
                answer = predict(pair.url, token, photo)
                outcome = (answer.status_code, answer.headers.get("X-Served-By"), answer.json())
            except (requests.RequestException, ValueError) as error:
                outcome = (0, None, repr(error))
            with lock:
                results.append(outcome)
                if len(results) == stop_after:
                    stopped.set()
        session.close()

    workers = [threading.Thread(target=client, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    assert stopped.wait(timeout=300)
    stopping = pair.stop(0, signal.SIGTERM)
    for worker in workers:
        worker.join(timeout=300)
    try:
        assert stopping.wait(timeout=30) == 0
    finally:
        pair.start(0)
    failures = [r for r in results if r[0] != 200]
    assert not failures, failures
    assert len(results) == total
    ids = [body["id"] for _, _, body in results]
    assert len(set(ids)) == total and stored_ids(pair, ids) == set(ids)
    after = [by for _, by, _ in results[stop_after + 4 :]]
    assert "replica2" in after and "replica1" in [by for _, by, _ in results[:stop_after]]
