"""Timestamps in the store: ISO 8601 text in, naive UTC out, one text form for keys and drivers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["parse_timestamps", "timestamp_text"]


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 text to naive UTC timestamps; NaT where the text is missing or not a timestamp."""
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    if len(parsed) and parsed.isna().any():
        # mixed formats (dates and date-times) make pandas give up on the whole column; retry row by row
        retry = values[parsed.isna() & values.notna()]
        if len(retry):
            fixed = retry.map(_one_timestamp)
            parsed = parsed.astype(object)
            parsed.loc[fixed.index] = fixed
            parsed = pd.to_datetime(parsed, utc=True)
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None)


def _one_timestamp(text: str) -> Any:
    """Strict ISO 8601 for one value (Python's parser: dates, date-times, offsets and Z)."""
    try:
        stamp = datetime.fromisoformat(text.strip())
    except (ValueError, TypeError, AttributeError):
        return pd.NaT
    return pd.Timestamp(stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC))


def timestamp_text(values: pd.Series) -> np.ndarray:
    """Naive UTC timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` text (None for NaT), vectorised.

    The one text form of a judgement's time: both stores take it for their timestamp columns, SQLAlchemy reads
    it back on SQLite, and judgement keys hash it.
    """
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[us]")
    if not len(stamps):
        return np.array([], dtype=object)
    text = np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ").astype(object)
    text[np.isnat(stamps)] = None
    return text
