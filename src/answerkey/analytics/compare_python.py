"""Exact equality as the published Spider and BIRD evaluators judge it: values as the driver returns them,
equal when Python's ``==`` says so, and the official Spider evaluator's quick rejection.

``compare`` uses these for ``CompareOptions(equality="python")`` and ``quick_reject=True``; they read nothing
of the options, so that this module needs nothing of ``compare`` but its ``Cell`` type.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from answerkey.analytics.official import text_sorted_rows_agree

if TYPE_CHECKING:
    from answerkey.analytics.compare import Cell

__all__ = ["python_cell", "quick_rejection"]


def python_cell(value: Any) -> Cell:
    """A value kept as the driver returned it, so that cells are equal exactly when Python's ``==`` says so
    (numbers of any type by value; anything else only within its own type, aware timestamps by instant).

    Text comes back as it is (``(2, text)``): ``compare.normalise`` folds it as the options say."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | Decimal):
        is_nan = value.is_nan() if isinstance(value, Decimal) else isinstance(value, float) and math.isnan(value)
        return (3, None) if is_nan else (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, bytearray | memoryview):
        value = bytes(value)
    kind = type(value).__name__
    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
        kind += "+tz"
        value = value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value
    try:
        hash(value)
    except TypeError:
        return (4, (kind, repr(value)))  # a list or a dict: equal when written alike
    return (4, (kind, value))


def quick_rejection(gold_rows: Sequence[Sequence[Any]], answer_rows: Sequence[Sequence[Any]],
                    ordered: bool) -> str | None:
    """Why the official Spider evaluator's shortcut rejects the answer (each row's values, sorted by text and
    type, disagree: ``official.text_sorted_rows_agree``), or None when it does not."""
    if text_sorted_rows_agree(gold_rows, answer_rows, ordered):
        return None
    return "each row's values, sorted as text (the official Spider evaluator's quick check), differ"
