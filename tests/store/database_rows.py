"""A database that does not answer, spooled rows, and what the app reports of them."""

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from catsdogs.extensions import db
from catsdogs.store.tables import Prediction
from tests.helpers import prediction_row


def unreachable(folder) -> str:
    """A SQLite database in a folder that does not exist: every connection fails."""
    return f"sqlite:///{folder / 'missing' / 'db.sqlite'}"


def database_gauge(app) -> float:
    """cv_database_connected as /metrics shows it."""
    families = text_string_to_metric_families(app.test_client().get("/metrics").text)
    [value] = [s.value for f in families for s in f.samples if s.name == "cv_database_connected"]
    return value


def spooled_row(**fields) -> dict:
    """A prediction row as save_prediction spools it when the database is down."""
    return prediction_row(**fields)


def stored_request_ids(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Prediction.request_id).order_by(Prediction.id)))
