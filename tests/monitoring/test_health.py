"""Health: what report() says about the model, the database and the spool."""

from catsdogs import serving, store

from catsdogs.monitoring import health
from tests.helpers import AUTH, BrokenClassifier, serve_model
from tests.store.database_rows import database_gauge, spooled_row, stored_request_ids, unreachable


def test_report_is_healthy_with_the_model_and_the_database(app):
    with app.app_context():
        body, status = health.report(serving.parts(app).models, store.parts(app).spool)
    assert status == 200
    assert body == {
        "status": "healthy",
        "model": {"loaded": True, "version": serving.parts(app).classifier.model_version},
        "database": "connected",
        "spooled_predictions": 0,
        "serving": {
            "version": serving.parts(app).classifier.model_version,
            "registry_version": None,
            "source": "packaged",
            "precision": "fp32",
        },
        "shadow": None,
        "canary": None,
        "registry": {
            "configured": False,
            "reachable": None,
            "last_success": None,
            "last_error": None,
            "refused_versions": {},
            "marked_versions": {},
        },
    }


def test_report_is_degraded_without_the_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable(tmp_path))
    store.parts(app).spool.append(spooled_row())
    with app.app_context():
        body, status = health.report(serving.parts(app).models, store.parts(app).spool)
    assert status == 200
    assert body["status"] == "degraded" and body["database"] == "disconnected"
    assert body["model"]["loaded"] is True and body["spooled_predictions"] == 1


def test_report_is_unhealthy_without_a_working_model(app):
    serve_model(app, BrokenClassifier())
    with app.app_context():
        body, status = health.report(serving.parts(app).models, store.parts(app).spool)
    assert status == 503
    assert body["status"] == "unhealthy" and body["database"] == "connected"
    assert body["model"] == {"loaded": False, "version": "broken"}


def test_health_does_not_replay_the_spool_but_the_watch_does(app):
    row = spooled_row()
    store.parts(app).spool.append(row)
    health_body = app.test_client().get("/health", headers=AUTH).get_json()
    assert health_body["status"] == "healthy" and health_body["spooled_predictions"] == 1
    assert len(store.parts(app).spool) == 1 and stored_request_ids(app) == []
    store.parts(app).database_watch.check()
    assert len(store.parts(app).spool) == 0 and stored_request_ids(app) == [row["request_id"]]
    assert database_gauge(app) == 1
