"""The real app under waitress, scraped by a real Prometheus that alerts a real Alertmanager."""

import io
import json
import re
import time

import pytest
import requests

from tests.monitoring import monitoring_stack as stack
from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.registry.client import Registry
from tests.registry import model_versions
from tests.helpers import image_bytes, photos_of_known_class
from tests.registry.mlflow_server import MlflowServer
from tests.monitoring.discord_stub import DiscordStub, free_port

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        bool(stack.MISSING),
        reason=f"Debian packages prometheus and prometheus-alertmanager "
        f"needed; missing {', '.join(stack.MISSING)}",
    ),
]
TOKEN = "live-token-0123456789"
PREDICTIONS = 6
METRICS = [
    "cv_predictions_total",
    "cv_inference_time_seconds_bucket",
    "cv_model_confidence_bucket",
    "cv_user_feedback_total",
    "cv_database_connected",
    "cv_model_info",
    "cv_upload_size_bytes_bucket",
    "cv_stage_duration_seconds_bucket",
    "cv_errors_total",
    "cv_training_photos",
    "flask_http_request_total",
    "flask_http_request_duration_seconds_bucket",
]
# Series only a model with a "not a cat or a dog" detector exports (the stack serves the shipped
# model): the rule and the panel that read them have no data without one.
DETECTOR_SERIES = ("cv_health_neither_expected_share", "cv_health_neither_share")
# Grafana fills these in; any window holding a few 1 s scrapes does here.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


class Live:
    """Handles on the running stack."""

    def __init__(self, workdir):
        self.app_port, self.dead_port = free_port(), free_port()
        self.discord = DiscordStub()
        self.services = []
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        # A real registry with a champion and a challenger: the lifecycle's and shadow
        # traffic's series exist, as in a stack that serves from MLflow.
        (workdir / "mlflow").mkdir()
        self.mlflow = MlflowServer(workdir / "mlflow")
        self.services.append(self.mlflow)
        registry = Registry(self.mlflow.start().url, name="catsdogs-live", timeout=60)
        checks = photos_of_known_class(workdir / "checks")
        for alias in ("champion", "challenger"):
            version = model_versions.register(
                registry, model_versions.shipped(workdir / alias), checks
            )
            registry.set_alias(alias, version.registry_version)
        self.services.append(
            stack.start_app(
                workdir,
                self.app_port,
                TOKEN,
                MLFLOW_TRACKING_URI=self.mlflow.url,
                MLFLOW_MODEL_NAME=registry.name,
                SHADOW_SAMPLE=1.0,
            )
        )
        am_port = free_port()
        self.services.append(stack.start_alertmanager(workdir, am_port, self.discord.url))
        self.prometheus_url = f"http://127.0.0.1:{free_port()}"
        # A second target nothing listens on: AppDown must fire for it, end to end.
        self.services.append(
            stack.start_prometheus(
                workdir,
                int(self.prometheus_url.rsplit(":", 1)[1]),
                [f"127.0.0.1:{self.app_port}", f"127.0.0.1:{self.dead_port}"],
                f"127.0.0.1:{am_port}",
            )
        )

    def query(self, promql: str) -> list:
        """Run an instant query; fail on a parse or evaluation error."""
        answer = requests.get(
            f"{self.prometheus_url}/api/v1/query", params={"query": promql}, timeout=5
        ).json()
        assert answer["status"] == "success", f"{promql}: {answer.get('error')}"
        return answer["data"]["result"]

    def wait_for_data(self, promql: str, timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        while not (result := self.query(promql)) and time.monotonic() < deadline:
            time.sleep(0.25)
        return result

    def close(self):
        for service in reversed(self.services):
            service.stop()
        self.discord.close()


def send_traffic(base: str) -> None:
    """Predictions with feedback of both kinds, and one upload that is not an image."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    ids = []
    for shade in range(PREDICTIONS):
        photo = image_bytes(size=(160, 120), color=(40 * shade, 255 - 40 * shade, 90))
        answer = session.post(
            f"{base}/api/predict",
            data={"rgpd_consent": "true"},
            files={"file": ("photo.png", io.BytesIO(photo))},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["id"])
    for prediction_id, satisfied in zip(ids[:2], (1, 0), strict=True):
        answer = session.post(
            f"{base}/api/update-feedback",
            timeout=10,
            json={"feedback_id": prediction_id, "user_feedback": satisfied},
        )
        assert answer.status_code == 200, answer.text
    bad = session.post(f"{base}/api/predict", files={"file": ("x.png", b"nope")}, timeout=10)
    assert bad.status_code == 415
    session.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    live = Live(tmp_path_factory.mktemp("monitoring"))
    try:
        send_traffic(live.app_url)
        # Scraped, and twice more after: every rate() window then holds the traffic.
        assert live.wait_for_data(
            f'sum(cv_predictions_total{{result=~"cat|dog|neither"}}) == {PREDICTIONS}'
        ), live.services[-1].tail()
        time.sleep(2.5)
        yield live
    finally:
        live.close()


@pytest.mark.parametrize("metric", METRICS)
def test_every_metric_is_scraped(live, metric):
    assert live.query(f'{{__name__="{metric}", job="catsdogs"}}'), metric


def test_scraped_values_match_the_traffic(live):
    def one(promql):
        [sample] = live.query(promql)
        return float(sample["value"][1])

    assert one('sum(cv_predictions_total{result=~"cat|dog|neither"})') == PREDICTIONS
    assert one('sum(cv_user_feedback_total{satisfaction="unsatisfied"})') == 1
    assert one('cv_errors_total{code="not_an_image"}') == 1
    assert one("cv_database_connected") == 1  # set by the app's background check
    assert one("cv_inference_time_seconds_count") == PREDICTIONS
    assert one("count(cv_stage_duration_seconds_count > 0)") == 4
    assert one(f'up{{instance="127.0.0.1:{live.app_port}"}}') == 1


def skip_without_a_detector(expr: str) -> None:
    if ModelCard.for_model(SHIPPED_MODEL).neither_output is None and any(
        series in expr for series in DETECTOR_SERIES
    ):
        pytest.skip("the shipped model has no detector: no share of neither is expected")


def as_bool(expr: str) -> str:
    """Turn `x > 0.5` into `x > bool 0.5` (and `x > on(v) y` into `x > bool on(v) y`, the same
    with ignoring): the series behind an alert, whether or not it fires."""
    return re.sub(r"(==|!=|>=|<=|>|<)\s*(?=[\d.]|(?:on|ignoring)\s*\()", r"\1 bool ", expr)


@pytest.mark.parametrize(("alert", "expr"), sorted(stack.rule_expressions().items()))
def test_rule_expression_parses_and_returns_data(live, alert, expr):
    live.query(expr)  # parses as written
    skip_without_a_detector(expr)
    assert live.query(as_bool(expr)), f"{alert}: no data for {as_bool(expr)}"


def dashboard_queries() -> list[tuple[str, str]]:
    panels = json.loads(stack.DASHBOARD.read_text())["panels"]
    return [
        (panel["title"], target["expr"])
        for panel in panels
        for target in panel["targets"]
        if target["datasource"]["type"] == "prometheus"
    ]


@pytest.mark.parametrize(("title", "expr"), dashboard_queries())
def test_dashboard_query_parses_and_returns_data(live, title, expr):
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    live.query(expr)  # parses as written
    skip_without_a_detector(expr)
    # ALERTS has data once AppDown fires for the dead target: wait for it.
    assert live.wait_for_data(expr, timeout=15), f"{title}: no data for {expr}"


def test_app_down_reaches_discord_through_alertmanager(live):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        embeds = [embed for _, body in list(live.discord.posts) for embed in body["embeds"]]
        down = [e for e in embeds if "AppDown" in e["title"]]
        if down:
            break
        time.sleep(0.25)
    else:
        pytest.fail(f"no AppDown message reached Discord:\n{live.services[1].tail()}")
    [embed] = down[:1]
    assert embed["title"].startswith("[FIRING:1] AppDown")
    assert f"catsdogs is down on 127.0.0.1:{live.dead_port}" in embed["description"]
    assert "**critical**" in embed["description"]
    assert isinstance(embed["color"], int)
