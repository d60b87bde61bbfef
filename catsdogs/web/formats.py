"""Numbers, percentages and dates as the page's language writes them: Jinja filters."""

import datetime
import math
from decimal import ROUND_DOWN, Decimal
from typing import TypeGuard

from flask import Flask
from flask_babel import format_date, format_decimal, format_percent, get_locale, gettext

MISSING = "–"  # a figure the database or the model card does not have


def percent(value: object, digits: int = 1) -> str:
    """A 0-1 fraction as a percentage: "51.0%" in English, "51,0 %" in French."""
    if not _is_number(value) or not math.isfinite(value):
        return MISSING
    # Cut, not rounded: an answer 99.95% sure must not read "100.0%", as if it were certain.
    shown = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits - 2), rounding=ROUND_DOWN)
    # The locale's own pattern (where the sign goes, after which space), with `digits` decimals.
    pattern = get_locale().percent_formats[None].pattern
    return format_percent(shown, pattern.replace("#,##0", _digits(digits), 1))


def decimal(value: object, digits: int | None = None) -> str:
    """A number, with `digits` decimals if given: "1,234.5" in English, "1 234,5" in French."""
    if not _is_number(value):
        return MISSING
    return format_decimal(value, None if digits is None else _digits(digits))


def milliseconds(value: object) -> str:
    """A duration in ms with one decimal, the unit kept on the figure's line."""
    return gettext("%(value)s\u00a0ms", value=decimal(value, 1)) if _is_number(value) else MISSING


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
        decimal=decimal,
        milliseconds=milliseconds,
        day=day,
        animal=animal,
        looked_at=looked_at,
    )


def _digits(digits: int) -> str:
    return "#,##0." + "0" * digits if digits else "#,##0"


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
