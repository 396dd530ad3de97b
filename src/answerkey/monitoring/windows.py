"""Time windows of a prediction log: calendar windows, or chunks of N predictions in time order.

Every per-window result of monitoring starts with the same columns: ``window_start`` and ``window_end`` and,
for chunks, ``chunk``; then the segment columns. A calendar window (``day``, ``week`` starting on Monday,
``month``) is cut on the prediction time in UTC and covers [window_start, window_end). A chunk is
``size`` consecutive predictions in order of prediction time (ties broken by prediction id) over the whole
log, segments or not; its window_start and window_end are its first and last prediction times.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from answerkey.errors import ParameterError

__all__ = ["WINDOW_UNITS", "Windows", "assign_windows", "check_segments", "parse_windows", "window_bounds"]

WINDOW_UNITS = {"day": "D", "week": "W", "month": "M"}
"""Calendar windows and their Ibis truncation units."""

_OFFSETS = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


@dataclass(frozen=True)
class Windows:
    """How a log is cut: a calendar ``unit``, or chunks of ``size`` predictions."""

    unit: str | None = None
    size: int | None = None

    @property
    def key(self) -> str:
        """The column the engine groups by: ``window_start`` for calendar windows, ``chunk`` for chunks."""
        return "window_start" if self.unit else "chunk"

    @property
    def columns(self) -> tuple[str, ...]:
        """The leading columns of every per-window result."""
        return ("window_start", "window_end") if self.unit else ("window_start", "window_end", "chunk")


def parse_windows(window: str | int) -> Windows:
    """``"day"``, ``"week"``, ``"month"``, or a positive number of predictions per chunk.

    >>> parse_windows("week")
    Windows(unit='week', size=None)
    >>> parse_windows(1000).key
    'chunk'
    """
    if isinstance(window, bool):
        raise ParameterError.invalid("window", "'day', 'week', 'month' or a positive number of predictions", window)
    if isinstance(window, int):
        if window < 1:
            raise ParameterError.invalid("window", "a positive number of predictions per chunk", window)
        return Windows(size=window)
    if window not in WINDOW_UNITS:
        raise ParameterError.invalid("window", "'day', 'week', 'month' or a positive number of predictions", window)
    return Windows(unit=window)


def assign_windows(table: Any, windows: Windows) -> Any:
    """The table with its window key column (``window_start`` or ``chunk``), computed in the engine."""
    if windows.unit:
        return table.mutate(window_start=table.predicted_at.truncate(WINDOW_UNITS[windows.unit]))
    order = ibis.row_number().over(order_by=[table.predicted_at, table.prediction_id])
    return table.mutate(chunk=(order // windows.size).cast("int64"))


def window_bounds(frame: pd.DataFrame, windows: Windows, log: Any = None, windowed: Any = None) -> pd.DataFrame:
    """``frame`` (keyed by the window key) with window_start and window_end first, sorted by window.

    Calendar bounds are computed here; chunk bounds need one small aggregate over ``windowed`` (the table
    with its chunk column) on ``log``'s engine.
    """
    frame = frame.copy()
    if windows.unit:
        frame["window_start"] = pd.to_datetime(frame["window_start"])
        frame["window_end"] = frame["window_start"] + _OFFSETS[windows.unit]
    else:
        bounds = log.execute(windowed.group_by("chunk").agg(window_start=windowed.predicted_at.min(),
                                                            window_end=windowed.predicted_at.max()))
        bounds["window_start"] = pd.to_datetime(bounds["window_start"])
        bounds["window_end"] = pd.to_datetime(bounds["window_end"])
        frame = frame.merge(bounds, on="chunk", how="left")
    rest = [c for c in frame.columns if c not in windows.columns]
    return frame[[*windows.columns, *rest]]


def check_segments(by: str | Sequence[str] | None, available: Sequence[str], source: str) -> list[str]:
    """The segment columns as a list, each checked to exist (with a close match when it does not)."""
    names = [by] if isinstance(by, str) else list(by or ())
    reserved = {"window_start", "window_end", "chunk"}
    for name in names:
        if name in reserved:
            raise ParameterError.invalid("by", "segment columns other than the window columns", name)
        if name not in available:
            close = difflib.get_close_matches(name, list(available), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(f"by: no column {name!r} in {source}{hint}; the columns are "
                                 f"{', '.join(available)}")
    if len(set(names)) != len(names):
        raise ParameterError.invalid("by", "distinct column names", names)
    return names
