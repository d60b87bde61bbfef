"""The monitoring page: figures, charts and links, polled by htmx, and what it never shows."""

import json
import re
import shutil

from sqlalchemy.exc import OperationalError

from catsdogs import serving

from catsdogs.monitoring import signals, statistics
from catsdogs.card import SHIPPED_MODEL
from catsdogs.extensions import db
from catsdogs.store.tables import Prediction
from tests.monitoring import detector

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


def serving_detector(app) -> bool:
    return serving.parts(app).classifier.card.neither_output is not None


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
        assert 'data-label="Feedback"><svg class="icon"' in body and "</svg> right</td>" in body


def test_the_model_health_section_shows_the_window_the_reference_and_a_light_per_signal(
    make_app, cat_photo
):
    app = make_app(MODEL_HEALTH_WINDOW=2)
    client = app.test_client()
    body = client.get("/monitoring").get_data(as_text=True)
    assert "Model health" in body and "the last 0 of 2 predictions" in body
    assert "Reference: 2,400 photos of the validation split" in body
    # No light before the window is full; two more signals once the model has a detector.
    lights = len(signals.SIGNALS) + len(signals.DETECTOR) * serving_detector(app)
    assert body.count('class="light collecting"') == lights == 11 + 2 * serving_detector(app)
    with app.app_context():
        for _ in range(2):
            serving.parts(app).classification.classify(cat_photo, None, consent=False)
    body = client.get("/monitoring", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "the last 2 of 2 predictions" in body and "collecting" not in body
    # The reference's two shares add up to 100%, not the 99% that cutting each one gave.
    assert re.search(r"predicted class</th><td>cat 100%</td><td>cat 50%, dog 50%</td>", body)
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


def classify(app, *photos: bytes) -> None:
    with app.app_context():
        for photo in photos:
            serving.parts(app).classification.classify(photo, None, consent=False)


def test_the_page_shows_the_share_of_neither_answers_and_the_expected_one(
    make_app, tmp_path, cat_photo, dog_photo
):
    # The stand-in detector refuses cats and answers dogs.
    app = make_app(MODEL_PATH=str(detector.with_detector(tmp_path)), MODEL_HEALTH_WINDOW=4)
    classify(app, cat_photo, dog_photo, dog_photo, dog_photo)
    client = app.test_client()
    body = client.get("/monitoring").get_data(as_text=True)
    assert "Not a cat or a dog: 25.00% of the window’s answers, against 0.95% expected" in body
    assert re.search(r"not a cat or a dog</th><td>25.00%</td><td>0.95%</td>", body)
    assert re.search(r"detector score \(1 = threshold\)</th><td>0.\d\d</td>", body)
    assert 'id="kpi-neither">1<' in body and "not a cat or a dog (25.0%)" in body
    # The chart's series, this hour's bar, and its name
    assert re.search(r'"neither": \[(0, ){23}1\]', body) and '"neither": "Not a cat' in body
    french = client.get("/monitoring", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Ni chat ni chien\u00a0: 25,00\u00a0% des réponses de la fenêtre" in french
    assert "pour 0,95\u00a0% attendus" in french
    assert re.search(r"ni chat ni chien</th><td>25,00\u00a0%</td>", french)
    assert "ni chat ni chien (25,0\u00a0%)" in french


def test_a_model_without_a_detector_shows_no_neither_signal(make_app, tmp_path, cat_photo):
    app = make_app(MODEL_PATH=str(detector.without_detector(tmp_path)), MODEL_HEALTH_WINDOW=1)
    classify(app, cat_photo)
    body = app.test_client().get("/monitoring").get_data(as_text=True)
    assert "Model health" in body and 'id="neither-share"' not in body
    assert "not a cat or a dog</th>" not in body and "detector score" not in body
    assert 'id="kpi-neither"' not in body


def test_the_training_photos_add_up_and_link_to_the_review(client, app, monkeypatch):
    counts = {"kept": 117, "reviewed": 3, "rejected": 1, "waiting": 113, "neither": 0}
    monkeypatch.setattr("catsdogs.store.review.counts", lambda: counts)
    body = client.get("/monitoring").get_data(as_text=True)
    assert re.search(
        r'id="training-photos">117 kept, 3 reviewed, 1 rejected, 113 waiting'
        r' · <a href="/review">Review them</a>',
        body,
    )
    counts.update(kept=3, reviewed=1, rejected=1, waiting=1)
    french = client.get("/monitoring", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "3 gardées, 1 relue, 1 rejetée, 1 en attente" in french


def test_every_time_on_the_page_carries_its_utc_mark(client, app):
    with app.app_context():
        store("cat", 0.9)
    body = client.get("/monitoring").get_data(as_text=True)
    times = re.findall(r'<td data-label="Time" class="time">([^<]*)</td>', body)
    assert len(times) == 1 and times[0].endswith("\u00a0UTC")


def test_the_latest_predictions_mark_the_unsure_ones_in_words(client, app):
    unsure_below = serving.parts(app).classifier.card.unsure_below
    with app.app_context():
        store("cat", unsure_below - 0.05)
        store("dog", 0.02)
    body = client.get("/monitoring").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"unsure\")?>\s*<td data-label=\"Time\"", body)
    assert sorted(rows) == ["", ' class="unsure"']
    assert body.count('<span class="tag">not sure</span>') == 1


def test_the_grayscale_signal_reads_colour_or_grayscale(make_app, cat_photo):
    app = make_app(MODEL_HEALTH_WINDOW=1)
    with app.app_context():
        serving.parts(app).classification.classify(cat_photo, None, consent=False)
    for language, row in (
        ("en", r"colour or grayscale</th><td>colour 100%</td><td>colour \d+%, grayscale \d+%"),
        ("fr", r"couleur ou niveaux de gris</th><td>couleur 100\xa0%</td><td>couleur \d+\xa0%"),
    ):
        body = app.test_client().get("/monitoring", headers={"Accept-Language": language}).text
        assert re.search(row, body), language
