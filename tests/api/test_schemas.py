"""Schema behaviour of our own: WholeNumber, UtcDateTime, unknown fields and defaults."""

import datetime

import marshmallow as ma
import pytest

from catsdogs.api.schemas import FeedbackRequest, PageArgs, UtcDateTime, WholeNumber


class Number(ma.Schema):
    value = WholeNumber(strict=False)


class Moment(ma.Schema):
    at = UtcDateTime()


@pytest.mark.parametrize("value, loaded", [(3, 3), ("3", 3), (3.0, 3), ("42", 42)])
def test_a_whole_number_may_come_as_text_or_a_whole_float(value, loaded):
    assert Number().load({"value": value}) == {"value": loaded}


@pytest.mark.parametrize("value", [1.5, -0.25, "1.5", "abc"])
def test_a_whole_number_refuses_fractions_instead_of_truncating(value):
    with pytest.raises(ma.ValidationError) as error:
        Number().load({"value": value})
    assert "value" in error.value.messages


def test_a_naive_date_time_is_written_as_utc():
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5)
    assert Moment().dump({"at": naive}) == {"at": "2026-01-02T03:04:05+00:00"}


def test_an_aware_date_time_keeps_its_offset():
    paris = datetime.timezone(datetime.timedelta(hours=1))
    aware = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=paris)
    assert Moment().dump({"at": aware}) == {"at": "2026-01-02T03:04:05+01:00"}


def test_a_missing_date_time_stays_null():
    assert Moment().dump({"at": None}) == {"at": None}


def test_feedback_refuses_unknown_fields():
    with pytest.raises(ma.ValidationError) as error:
        FeedbackRequest().load({"feedback_id": "7", "user_feedback": "1", "extra": "x"})
    assert "extra" in error.value.messages


def test_feedback_without_a_comment_leaves_it_out_so_the_stored_one_stays():
    loaded = FeedbackRequest().load({"feedback_id": "7", "user_feedback": "1"})
    assert loaded == {"feedback_id": 7, "user_feedback": 1}


def test_paging_defaults_to_the_first_twenty():
    assert PageArgs().load({}) == {"limit": 20, "offset": 0}
