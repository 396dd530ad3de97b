"""The values a test suite's candidates put at and around each boundary a gold tests: on it, just beside it and
well beyond it, in the type and (for text) the shape of the column's real values."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from answerkey.analytics.suite_profile import Boundary, ColumnRef

__all__ = ["as_text", "boundary_values", "grouped", "text_shape"]


def boundary_values(boundary: Boundary, real: Sequence[Any] = ()) -> list[Any]:
    """The boundary's value and its neighbours, as text or Python values the column's type will cast: on, just
    beside and well beyond it; for a LIKE pattern, texts that match it in each place and case.

    ``real``: the column's sampled real values. When they are all texts of one shape (integers, dates), only
    texts of that shape are given (``'12'``: ``'11'``, ``'13'``, zero padding kept), so that a right answer that
    casts the column (``CAST(code AS INTEGER) = 12``) still runs on a candidate where the gold runs."""
    shape = text_shape(real)
    values = _boundary_values(boundary)
    if shape is None:
        return values
    padded = any(len(v) > 1 and v[0] == "0" for v in real)
    texts = [*_shaped(boundary, shape, padded), *(as_text(v) for v in values)]
    return [v for v in dict.fromkeys(texts) if _fits(v, shape)]


def _boundary_values(boundary: Boundary) -> list[Any]:
    """The boundary's value and its neighbours, whatever the column holds."""
    value = boundary.value
    if boundary.like and isinstance(value, str):
        core = value.strip("%_")
        return [core, f"a{core}", f"{core}a", f"a{core}a", core.upper(), core.capitalize(), core.lower(), ""]
    if isinstance(value, bool):
        return [True, False]
    if isinstance(value, int):
        around: list[Any] = [value - 1, value, value + 1, value * 10 + 7]
        if 1800 <= value <= 2200:  # a year compared with a date column's part
            around += [f"{value}-01-01", f"{value - 1}-12-31", f"{value}-12-31", f"{value + 1}-01-01"]
        return around
    if isinstance(value, float | Decimal):
        step = Decimal(1).scaleb(value.as_tuple().exponent) if isinstance(value, Decimal) else 0.01  # type: ignore[arg-type]
        return [value - step, value, value + step, value - 1, value + 1]  # type: ignore[operator]
    if isinstance(value, dt.datetime):
        second, day = dt.timedelta(seconds=1), dt.timedelta(days=1)
        return [value, value - second, value + second, value - day, value + day, value + dt.timedelta(hours=12)]
    if isinstance(value, dt.date):
        day = dt.timedelta(days=1)
        start = dt.datetime.combine(value, dt.time())
        return [value, value - day, value + day, start + dt.timedelta(hours=12), start - dt.timedelta(seconds=1)]
    if isinstance(value, str):
        return _text_neighbours(value)
    return [value]


def _text_neighbours(value: str) -> list[Any]:
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(value, form)
        except ValueError:
            continue
        step = dt.timedelta(seconds=1) if " " in value else dt.timedelta(days=1)
        return [value, parsed - step, parsed + step, parsed + dt.timedelta(hours=12), parsed - dt.timedelta(days=1)]
    try:
        month = dt.datetime.strptime(value, "%Y-%m")
        return [value, month, month - dt.timedelta(days=1), month + dt.timedelta(days=27)]
    except ValueError:
        pass
    return [value, value.upper(), value.lower(), value.capitalize(), f"{value} ", f"{value}x"]


INTEGER_TEXT = re.compile(r"[+-]?\d+")
DATE_TEXTS = {"%Y-%m-%d": re.compile(r"\d{4}-\d{2}-\d{2}"),
              "%Y-%m-%d %H:%M:%S": re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")}
"""The shapes of text a column's real values may all have: integers, or dates (or instants) in ISO form."""


def _fits(text: str, shape: str) -> bool:
    """Whether ``text`` has the shape ``shape`` ("integer", or one of DATE_TEXTS' forms)."""
    if shape == "integer":
        return INTEGER_TEXT.fullmatch(text) is not None
    if not DATE_TEXTS[shape].fullmatch(text):
        return False
    try:
        dt.datetime.strptime(text, shape)
    except ValueError:
        return False
    return True


def text_shape(real: Sequence[Any]) -> str | None:
    """The shape every one of a column's real values has, when they are all texts of one; else None."""
    if not real or not all(isinstance(v, str) for v in real):
        return None
    return next((shape for shape in ("integer", *DATE_TEXTS) if all(_fits(v, shape) for v in real)), None)


def _shaped(boundary: Boundary, shape: str, padded: bool) -> list[str]:
    """Neighbours of a text boundary in the column's shape: integers beside it (as wide as it, when the real
    values are zero padded) or dates and instants beside it, in the real values' form."""
    core = str(boundary.value).strip("%_") if boundary.like else as_text(boundary.value)
    if shape == "integer" and INTEGER_TEXT.fullmatch(core):
        if boundary.like:
            return [core, f"1{core}", f"{core}1", f"1{core}1"]
        width = len(core) if padded or (len(core) > 1 and core[0] == "0") else 0
        number = int(core)
        return [str(n).zfill(width) for n in (number - 1, number, number + 1, number * 10 + 7)]
    moment = next((m for m in (_parsed(core, form) for form in DATE_TEXTS) if m is not None), None)
    if shape == "integer" or moment is None or boundary.like:
        return []
    step = dt.timedelta(days=1) if shape == "%Y-%m-%d" else dt.timedelta(seconds=1)
    moments = (moment, moment - step, moment + step, moment - dt.timedelta(days=1), moment + dt.timedelta(days=1))
    return [m.strftime(shape) for m in moments]


def _parsed(text: str, form: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, form)
    except ValueError:
        return None


def as_text(value: Any) -> str:
    """A Python value as text DuckDB casts back to it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def grouped(boundaries: Iterable[Boundary]) -> dict[ColumnRef, list[Boundary]]:
    """Boundaries by the column they are compared with."""
    by_column: dict[ColumnRef, list[Boundary]] = defaultdict(list)
    for boundary in boundaries:
        by_column[boundary.column].append(boundary)
    return dict(by_column)
