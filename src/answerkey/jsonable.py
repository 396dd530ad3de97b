"""Results as JSON (monitoring runs, source quality, feedback checks): timestamps as ISO 8601 text, NaN and
infinities as null (JSON has neither)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain", "records"]


def plain(value: Any) -> Any:
    """A JSON-safe copy of ``value``: nested dicts and lists too; numpy scalars and decimals as Python numbers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    """A frame's rows as JSON-safe dicts (None stays None)."""
    if frame is None:
        return None
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [{str(k): plain(v) for k, v in row.items()} for row in cleaned.to_dict("records")]
