"""Figures as each language writes them: percentages, decimals, durations, dates, class names."""

import datetime

import pytest
from flask_babel import format_datetime

from catsdogs.web.formats import MISSING, animal, day, decimal, milliseconds, percent

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
