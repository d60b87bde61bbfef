"""The monitoring page: figures, charts and links, polled by htmx, and what it never shows."""

import json
import re
import shutil

from sqlalchemy.exc import OperationalError

from catsdogs import serving

from catsdogs.monitoring import statistics
from catsdogs.card import SHIPPED_MODEL
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction

EVIL_NAME = "<img src=x onerror=alert(1)>.jpg"


def store(result="cat", proba_cat=0.9, feedback=None, **fields) -> None:
    """Add one prediction made now; a vote implies consent."""
    db.session.add(
        Prediction(
            inference_time_ms=10.0,
            prediction_result=result,
            proba_cat=proba_cat,
            proba_dog=1 - proba_cat,
            model_version="1.0.0",
            rgpd_consent=feedback is not None or "filename" in fields,
            user_feedback=feedback,
            **fields,
        )
    )
    db.session.commit()


def test_the_page_shows_the_figures_and_polls(client, app):
    app.config["GRAFANA_URL"] = "https://grafana.example.org/d/catsdogs"
    app.config["PROMETHEUS_URL"] = "http://127.0.0.1:9090"
    with app.app_context():
        store("cat", 0.9, feedback=1)
        store("dog", 0.3)
    body = client.get("/monitoring").get_data(as_text=True)
    assert 'id="kpi-total">2<' in body and "1 / 1" in body
    assert 'hx-trigger="every 10s"' in body and 'hx-get="/monitoring"' in body
    assert 'href="https://grafana.example.org/d/catsdogs"' in body
    assert 'href="http://127.0.0.1:9090"' in body
    assert "data-charts='{" in body and 'id="chart-predictions"' in body
    assert "Connected" in body


def test_without_grafana_or_prometheus_configured_the_page_links_to_neither(client):
    body = client.get("/monitoring").get_data(as_text=True)
    assert "Grafana" not in body and ">Prometheus<" not in body and "localhost" not in body
    assert 'href="/metrics"' in body


def test_the_page_says_when_the_database_does_not_answer(client, monkeypatch):
    def down():
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(statistics, "summary", down)
    response = client.get("/monitoring", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unreachable" in body and "The database does not answer" in body
    assert "connection refused" not in body


def test_other_peoples_file_names_and_comments_never_reach_the_page(client, app):
    with app.app_context():
        store(feedback=1, filename=EVIL_NAME, user_comment="secret remark")
    for headers in ({"HX-Request": "false"}, {"HX-Request": "true"}):
        body = client.get("/monitoring", headers=headers).get_data(as_text=True)
        assert "onerror" not in body and "secret remark" not in body
        assert "👍" in body


def test_the_model_health_section_shows_the_window_the_reference_and_a_light_per_signal(
    make_app, cat_photo
):
    app = make_app(MODEL_HEALTH_WINDOW=2)
    client = app.test_client()
    body = client.get("/monitoring").get_data(as_text=True)
    assert "Model health" in body and "the last 0 of 2 predictions" in body
    assert "Reference: 2,400 photos of the validation split" in body
    assert body.count('class="light collecting"') == 11  # no light before the window is full
    with app.app_context():
        for _ in range(2):
            serving.parts(app).classification.classify(cat_photo, None, consent=False)
    body = client.get("/monitoring", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "the last 2 of 2 predictions" in body and "collecting" not in body
    assert re.search(r"predicted class</th><td>cat 100%</td><td>cat 50%, dog 49%</td>", body)
    assert 'class="light major">major shift' in body  # two cats in a row are not half and half
    assert "Estimated accuracy of the window: 99." in body and "0.58%" in body
    assert "No votes yet." in body


def test_the_estimated_accuracy_is_refused_when_the_card_is_poorly_calibrated(make_app, tmp_path):
    model = tmp_path / "poorly-calibrated.onnx"
    shutil.copy(SHIPPED_MODEL, model)
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    card["evaluation"]["test"]["expected_calibration_error"] = 0.05
    model.with_suffix(".json").write_text(json.dumps(card))
    app = make_app(MODEL_PATH=str(model))
    body = app.test_client().get("/monitoring").get_data(as_text=True)
    assert "Estimated accuracy: not shown" in body and "5.00%" in body
    assert 'id="estimated-accuracy">Estimated accuracy of the window' not in body


def test_the_model_health_section_is_in_french(client):
    body = client.get("/monitoring", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Santé du modèle" in body and "classe prédite" in body
