"""Numbers, percentages and dates as the page's language writes them: Jinja filters."""

import datetime
import math
import re
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import TypeGuard

from flask import Flask
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
    ngettext,
)

MISSING = "–"  # a figure the database or the model card does not have


def percent(value: object, digits: int = 1) -> str:
    """A 0-1 fraction as a percentage: "51.0%" in English, "51,0 %" in French."""
    if not _is_number(value) or not math.isfinite(value):
        return MISSING
    # Cut, not rounded: an answer 99.95% sure must not read "100.0%", as if it were certain.
    shown = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits - 2), rounding=ROUND_DOWN)
    return _format_percent(shown, digits)


def percentages(shares: Mapping[str, float], digits: int = 1) -> dict[str, str]:
    """Shares of one whole (a prediction's probabilities) as percentages that add up to 100%.

    Largest remainder at the shown precision: each share is cut, then the units missing from
    100% go to the shares that lost the most. No share reads 100% while another is above zero.
    """
    values = dict(shares)
    if not values or not all(_is_number(v) and math.isfinite(v) for v in values.values()):
        return {label: percent(value, digits) for label, value in values.items()}
    unit = Decimal(1).scaleb(-digits - 2)  # one shown step, as a fraction: 0.001 for 0.1%
    exact = {label: Decimal(str(value)) / unit for label, value in values.items()}
    units = {label: int(value) for label, value in exact.items()}  # cut towards zero
    whole = int(1 / unit)
    missing = max(0, min(len(units), whole - sum(units.values())))
    by_remainder = sorted(exact, key=lambda label: (exact[label] - units[label], exact[label]))
    for label in by_remainder[len(units) - missing :]:
        units[label] += 1
    # Certainty is never shown for a share the model did not give entirely: one step goes back.
    sure = [label for label, number in units.items() if number >= whole]
    others = [label for label in units if label not in sure and exact[label] > 0]
    if sure and others:
        units[sure[0]] -= 1
        units[max(others, key=lambda label: exact[label])] += 1
    return {label: _format_percent(number * unit, digits) for label, number in units.items()}


def decimal(value: object, digits: int | None = None) -> str:
    """A number, with `digits` decimals if given: "1,234.5" in English, "1 234,5" in French."""
    if not _is_number(value):
        return MISSING
    return format_decimal(value, None if digits is None else _digits(digits))


def milliseconds(value: object) -> str:
    """A duration in ms with one decimal, the unit kept on the figure's line."""
    return gettext("%(value)s\u00a0ms", value=decimal(value, 1)) if _is_number(value) else MISSING


def utc_time(value: datetime.datetime | None) -> str:
    """A moment in UTC, marked so: "Dec 7, 2026, 1:05:03 PM UTC", "7 déc. 2026, 13:05:03 UTC"."""
    if value is None:
        return MISSING
    return gettext("%(time)s\u00a0UTC", time=format_datetime(value, "medium"))


def day(value: str | None) -> str:
    """An ISO date ("2026-11-29") written out: "November 29, 2026", "29 novembre 2026"."""
    if not value:
        return MISSING
    try:
        return format_date(datetime.date.fromisoformat(str(value)), "long")
    except ValueError:
        return str(value)  # not a date this page can read: shown as the card says it


def animal(label: str) -> str:
    """A class of the model ("cat", "dog"), or "neither", in the page's language."""
    names = {
        "cat": gettext("cat"),
        "dog": gettext("dog"),
        "neither": gettext("neither cat nor dog"),
    }
    return names.get(label, label)


def machine(described: str | None) -> str:
    """The card's training machine in the page's language when it reads "<cpu> CPU, <n> cores"."""
    found = re.fullmatch(r"(?P<cpu>.+) CPU, (?P<cores>\d+) cores?", described or "")
    if not found:
        return described or MISSING  # some other wording: shown as the card says it
    cores = int(found["cores"])
    return ngettext(
        "%(cpu)s CPU, %(num)s core", "%(cpu)s CPU, %(num)s cores", cores, cpu=found["cpu"]
    )


def looked_at(where: str) -> str:
    """The heatmap's alt text: where the model looked most (serving.explain's `where`)."""
    # Whole sentences, not a place slotted into one: French changes its words around each place.
    sentences = {
        "top_left": gettext("Heatmap: the model looked most at the top left of the photo."),
        "top": gettext("Heatmap: the model looked most at the top of the photo."),
        "top_right": gettext("Heatmap: the model looked most at the top right of the photo."),
        "left": gettext("Heatmap: the model looked most at the left of the photo."),
        "centre": gettext("Heatmap: the model looked most at the centre of the photo."),
        "right": gettext("Heatmap: the model looked most at the right of the photo."),
        "bottom_left": gettext("Heatmap: the model looked most at the bottom left of the photo."),
        "bottom": gettext("Heatmap: the model looked most at the bottom of the photo."),
        "bottom_right": gettext("Heatmap: the model looked most at the bottom right of the photo."),
        "evenly": gettext("Heatmap: the model looked at the whole photo evenly."),
    }
    return sentences.get(where, gettext("Heatmap of where the model looked."))


def register(app: Flask) -> None:
    """Make the formats Jinja filters; Flask-Babel's own `datetimeformat` writes the times."""
    app.jinja_env.filters.update(
        percent=percent,
        percentages=percentages,
        utc_time=utc_time,
        decimal=decimal,
        milliseconds=milliseconds,
        day=day,
        animal=animal,
        machine=machine,
        looked_at=looked_at,
    )


def _format_percent(shown: Decimal, digits: int) -> str:
    # The locale's own pattern (where the sign goes, after which space), with `digits` decimals.
    pattern = get_locale().percent_formats[None].pattern
    return format_percent(shown, pattern.replace("#,##0", _digits(digits), 1))


def _digits(digits: int) -> str:
    return "#,##0." + "0" * digits if digits else "#,##0"


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
