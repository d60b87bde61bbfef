"""Figures as each language writes them: percentages, decimals, durations, dates, class names."""

import datetime

import pytest
from flask_babel import format_datetime

from catsdogs.web.formats import (
    MISSING,
    animal,
    day,
    decimal,
    milliseconds,
    percent,
    percentages,
    utc_time,
)

MOMENT = datetime.datetime(2026, 1, 5, 15, 4, 5, tzinfo=datetime.UTC)
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture(params=["en", "fr"])
def language(app, request):
    with app.test_request_context(headers={"Accept-Language": request.param}):
        yield request.param


def expect(language: str, english: str, french: str) -> str:
    return english if language == "en" else french


def test_percentages(language):
    assert percent(0.51) == expect(language, "51.0%", f"51,0{NBSP}%")
    assert percent(0.5, 0) == expect(language, "50%", f"50{NBSP}%")
    assert percent(1) == expect(language, "100.0%", f"100,0{NBSP}%")


def test_a_percentage_is_cut_never_rounded_up_to_certainty(language):
    assert percent(0.9995) == expect(language, "99.9%", f"99,9{NBSP}%")
    assert percent(0.99999, 0) == expect(language, "99%", f"99{NBSP}%")
    assert percent(0.29) == expect(language, "29.0%", f"29,0{NBSP}%")  # 0.29 * 100 is 28.99...


@pytest.mark.parametrize(
    ("cat", "dog", "shown"),
    [
        (0.12345, 0.87655, ("12.3%", "87.7%")),  # cut, they read 12.3 + 87.6 = 99.9
        (0.5, 0.5, ("50.0%", "50.0%")),
        (0.0219, 0.9781, ("2.2%", "97.8%")),  # the larger remainder gets the missing step
        (0.9996, 0.0004, ("99.9%", "0.1%")),  # rounding up would show certainty
        (1.0, 0.0, ("100.0%", "0.0%")),
    ],
)
def test_a_prediction_s_probabilities_add_up_to_100_percent(app, cat, dog, shown):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert percentages({"cat": cat, "dog": dog}) == {"cat": shown[0], "dog": shown[1]}


def test_probabilities_add_up_at_any_precision_and_in_french(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert percentages({"cat": 0.335, "dog": 0.665}, 0) == {
            "cat": f"33{NBSP}%",
            "dog": f"67{NBSP}%",
        }
        assert percentages({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 0) == {
            "a": f"33{NBSP}%",
            "b": f"33{NBSP}%",
            "c": f"34{NBSP}%",
        }
        assert percentages({"cat": None, "dog": 0.4}) == {"cat": MISSING, "dog": f"40,0{NBSP}%"}


def test_times_carry_their_utc_mark(language):
    assert utc_time(MOMENT) == expect(
        language, f"Jan 5, 2026, 3:04:05{NNBSP}PM{NBSP}UTC", f"5 janv. 2026, 15:04:05{NBSP}UTC"
    )
    assert utc_time(None) == MISSING


def test_decimals(language):
    assert decimal(1234.56, 1) == expect(language, "1,234.6", f"1{NNBSP}234,6")
    assert decimal(0.01) == expect(language, "0.01", "0,01")
    assert decimal(23998, 0) == expect(language, "23,998", f"23{NNBSP}998")


def test_durations(language):
    assert milliseconds(12.345) == expect(language, f"12.3{NBSP}ms", f"12,3{NBSP}ms")


def test_dates(language):
    assert day("2026-11-29") == expect(language, "November 29, 2026", "29 novembre 2026")
    assert format_datetime(MOMENT, "medium") == expect(
        language, f"Jan 5, 2026, 3:04:05{NNBSP}PM", "5 janv. 2026, 15:04:05"
    )


def test_class_names(language):
    assert (animal("cat"), animal("dog")) == expect(language, ("cat", "dog"), ("chat", "chien"))
    assert animal("horse") == "horse"  # a class the pages have no word for: as the card says


@pytest.mark.parametrize("value", [None, "", "n/a", True])
def test_missing_figures_are_a_dash(language, value):
    assert percent(value) == decimal(value) == milliseconds(value) == MISSING


def test_a_date_the_page_cannot_read_is_shown_as_written(language):
    assert day(None) == MISSING and day("last winter") == "last winter"
