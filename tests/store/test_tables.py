"""The database itself refuses rows that break the rules, on SQLite and PostgreSQL alike."""

import pytest
from sqlalchemy.exc import IntegrityError

from catsdogs.extensions import db
from catsdogs.store.tables import Prediction

VALID = dict(
    inference_time_ms=4.2,
    prediction_result="dog",
    proba_cat=0.1,
    proba_dog=0.9,
    model_version="test",
)


@pytest.mark.parametrize(
    "fields",
    [
        {"prediction_result": "bird"},
        {"user_feedback": 2, "rgpd_consent": True},
        {"proba_dog": 1.5},
        {"inference_time_ms": -1.0},
        {"rgpd_consent": False, "filename": "kept.jpg"},
        {"rgpd_consent": False, "user_feedback": 1},
        {"rgpd_consent": False, "user_comment": "kept"},
    ],
)
def test_check_constraints(app, fields):
    with app.app_context():
        db.session.add(Prediction(**{**VALID, **fields}))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_valid_row_gets_defaults(app):
    with app.app_context():
        row = Prediction(**VALID)
        db.session.add(row)
        db.session.commit()
        assert row.id and row.created_at and len(row.request_id) == 36
        assert row.rgpd_consent is False and row.confidence == 0.9
