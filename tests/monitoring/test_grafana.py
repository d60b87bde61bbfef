"""Grafana provisioning: fixed uids, references by uid, secrets from the environment."""

import io
import json
import re

from sqlalchemy import text

from catsdogs.extensions import db
from tests.helpers import image_bytes
from tests.monitoring.monitoring_stack import DASHBOARD, GRAFANA, load_yaml


def datasources() -> dict[str, dict]:
    return {
        ds["uid"]: ds
        for ds in load_yaml(GRAFANA / "datasources" / "datasources.yml")["datasources"]
    }


def test_datasources_have_fixed_uids_and_no_secret():
    found = datasources()
    assert {ds["type"] for ds in found.values()} == {
        "prometheus",
        "grafana-postgresql-datasource",
        "alertmanager",
    }
    postgres = next(ds for ds in found.values() if ds["type"].endswith("postgresql-datasource"))
    assert postgres["secureJsonData"]["password"] == "${GRAFANA_DB_PASSWORD}"
    assert postgres["user"].startswith("${")


def test_dashboard_has_a_fixed_uid_and_refers_to_datasources_by_uid():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["id"] is None and dashboard["uid"] == "catsdogs-overview"
    assert "${DS_" not in DASHBOARD.read_text()
    known = datasources()
    for panel in dashboard["panels"]:
        for source in [panel["datasource"], *(t["datasource"] for t in panel["targets"])]:
            assert known[source["uid"]]["type"] == source["type"], panel["title"]


def test_dashboard_shows_what_the_issue_asks_for():
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queries = " ".join(t.get("expr", t.get("rawSql", "")) for p in panels for t in p["targets"])
    for needed in (
        "cv_predictions_total",
        "cv_inference_time_seconds_bucket",
        "cv_model_confidence_bucket",
        "cv_user_feedback_total",
        "cv_database_connected",
        "cv_model_info",
        "cv_errors_total",
        "cv_shadow_predictions_total",
        "cv_shadow_inference_time_seconds_bucket",
        "cv_registry_up",
        "cv_health_feedback_accuracy",
        "cv_training_photos",
        "ALERTS",
        "predictions_feedback",
    ):
        assert needed in queries, needed
    assert {
        re.search(r"histogram_quantile\((0\.\d+)", t["expr"])[1]
        for p in panels
        if p["title"] == "Inference latency"
        for t in p["targets"]
    } == {"0.5", "0.95", "0.99"}


def test_latest_predictions_query_runs_on_the_schema(app, api):
    api.post(
        "/api/predict", data={"file": (io.BytesIO(image_bytes()), "a.png"), "rgpd_consent": "true"}
    )
    [sql] = [
        t["rawSql"]
        for p in json.loads(DASHBOARD.read_text())["panels"]
        for t in p["targets"]
        if "rawSql" in t
    ]
    with app.app_context():
        rows = db.session.execute(text(sql)).mappings().all()
    assert len(rows) == 1 and rows[0]["class"] in ("cat", "dog")


def test_the_neither_share_panel_reads_as_the_alert_does_and_counts_every_answer():
    panels = {p["title"]: p for p in json.loads(DASHBOARD.read_text())["panels"]}
    [hour, window, expected] = [
        t["expr"] for t in panels["Not a cat or a dog: share of answers"]["targets"]
    ]
    assert 'result="neither"' in hour and "[1h]" in hour and 'result=~"cat|dog|neither"' in hour
    assert "cv_health_neither_share" in window
    assert "cv_health_neither_expected_share" in expected
    for title in ("Predictions (24 h)", "Predictions per minute"):
        [target] = panels[title]["targets"]
        assert 'result=~"cat|dog|neither"' in target["expr"], title
