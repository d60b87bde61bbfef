"""Acceptance of issue 17: real photos through the served app, scraped by a real Prometheus
with the committed rules. A stream drawn like the validation split raises no alert; a grayscale,
a darkened and a one-class stream each fire the matching alert, and no other."""

import io
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image, ImageEnhance

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.store.petimages import Dataset, card_split
from tests.monitoring import monitoring_stack as stack
from tests.monitoring.discord_stub import free_port
from tests.helpers import DATASET

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        bool(stack.MISSING) or not DATASET.exists(),
        reason=f"needs Debian's prometheus (missing: {', '.join(stack.MISSING) or 'none'}) "
        f"and {DATASET}",
    ),
]
TOKEN = "health-token-0123456789"
# Each stream fills the whole window, so the window holds that stream alone when it is judged.
# 150 predictions: the PSI's sampling noise stays near 0.05, far under the 0.25 threshold.
WINDOW = 150


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def grayscale(data: bytes) -> bytes:
    return jpeg(Image.open(io.BytesIO(data)).convert("L"))


def darkened(data: bytes) -> bytes:
    return jpeg(ImageEnhance.Brightness(Image.open(io.BytesIO(data))).enhance(0.5))


def as_sent(data: bytes) -> bytes:
    return data


# The alerts about the model's answers and the photos it gets; the others watch the service
# (availability, traffic, the model registry), which these streams do not change.
MODEL_GROUPS = ("catsdogs-model", "catsdogs-model-health")
MODEL_ALERTS = {
    rule["alert"]
    for path in (stack.PROMETHEUS_DIR / "rules").glob("*.yml")
    for group in stack.load_yaml(path)["groups"]
    if group["name"] in MODEL_GROUPS
    for rule in group["rules"]
}
# stream: (which validation photos, how they are changed, the alerts and signals expected)
STREAMS = {
    "validation": ("mixed", as_sent, {}),
    "grayscale": ("mixed", grayscale, {"InputDrift": {"saturation", "grayscale"}}),
    "darkened": ("mixed", darkened, {"InputDrift": {"brightness", "contrast"}}),
    "cats only": ("cats", as_sent, {"PredictionShareDrift": {"class"}}),
}


def photos(kind: str) -> list[bytes]:
    """WINDOW photos of the card's validation split: drawn at random, or cats only."""
    dataset = Dataset(DATASET)
    split = card_split(dataset, ModelCard.for_model(SHIPPED_MODEL).data)["validation"]
    pool = [
        name
        for name, label in zip(split.files, split.labels, strict=True)
        if kind == "mixed" or label == 0
    ]
    return [dataset.read(name) for name in random.Random(17).sample(pool, WINDOW)]


class Stack:
    def __init__(self, workdir):
        self.app_url = f"http://127.0.0.1:{free_port()}"
        self.prometheus_url = f"http://127.0.0.1:{free_port()}"
        self.services = [
            stack.start_app(
                workdir,
                int(self.app_url.rsplit(":", 1)[1]),
                TOKEN,
                MODEL_HEALTH_WINDOW=WINDOW,
                RATELIMIT_ENABLED=False,  # 600 photos in a minute or two from one token
            )
        ]
        self.services.append(
            stack.start_prometheus(
                workdir,
                int(self.prometheus_url.rsplit(":", 1)[1]),
                [self.app_url.removeprefix("http://")],
                f"127.0.0.1:{free_port()}",  # no Alertmanager: the alerts are read in Prometheus
            )
        )
        self.sent = 0

    def query(self, promql: str) -> list:
        answer = requests.get(
            f"{self.prometheus_url}/api/v1/query", params={"query": promql}, timeout=5
        ).json()
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def send(self, images: list[bytes]) -> None:
        def post(data: bytes) -> None:
            answer = session.post(
                f"{self.app_url}/api/predict",
                files={"file": ("photo.jpg", io.BytesIO(data))},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text

        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(post, images))
        self.sent += len(images)

    def firing_after_this_stream(self) -> dict[str, set[str]]:
        """{alert: signals} firing once Prometheus has scraped every prediction sent and then
        evaluated the rules twice more (1 s intervals, `for` set to 0)."""
        total = f'sum(cv_predictions_total{{result=~"cat|dog|neither"}}) == {self.sent}'
        deadline = time.monotonic() + 30
        while not self.query(total):
            assert time.monotonic() < deadline, self.services[-1].tail()
            time.sleep(0.25)
        time.sleep(2.5)
        firing = {}
        for alert in self.query('ALERTS{alertstate="firing"}'):
            labels = alert["metric"]
            if labels["alertname"] in MODEL_ALERTS:
                firing.setdefault(labels["alertname"], set()).add(labels.get("signal", ""))
        return firing

    def scores(self) -> dict[str, float]:
        return {
            s["metric"]["signal"]: round(float(s["value"][1]), 3)
            for s in self.query("cv_health_drift_psi")
        }

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """Each stream in turn through the app: the alerts firing after it, and the PSI scores."""
    live = Stack(tmp_path_factory.mktemp("model-health"))
    try:
        # Scraped once before any photo: counters seen first at their final value would show no
        # increase, and NoPredictions would fire on the first stream.
        deadline = time.monotonic() + 30
        while not live.query('sum(cv_predictions_total{result=~"cat|dog|neither"}) == 0'):
            assert time.monotonic() < deadline, live.services[-1].tail()
            time.sleep(0.25)
        results = {}
        for name, (kind, change, _) in STREAMS.items():
            live.send([change(data) for data in photos(kind)])
            results[name] = (live.firing_after_this_stream(), live.scores())
            print(f"\n{name}: firing {results[name][0]}, PSI {results[name][1]}")  # with -s
        yield results
    finally:
        live.close()


def test_the_model_alerts_include_the_older_model_rules_and_the_new_ones():
    assert {"LowConfidenceRate", "MajorityClassDrift", "InputDrift", "ConfidenceDrift"} <= (
        MODEL_ALERTS
    )


@pytest.mark.parametrize("stream", STREAMS)
def test_each_stream_fires_its_own_alert_and_no_other(observed, stream):
    firing, scores = observed[stream]
    expected = STREAMS[stream][2]
    assert firing == expected, f"{stream}: PSI {scores}"
