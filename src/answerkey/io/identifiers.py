"""What an id (item, annotator, group, segment) may contain: text without control characters.

A NUL or a line separator inside an id breaks PostgreSQL (which stores no NUL in text), CSV and JSONL exports,
terminal output and log lines, and makes two ids that print alike differ. Every import path (CSV, JSONL,
Parquet, Label Studio, the HTTP API) checks ids here; free text (notes) may hold line breaks and tabs but no NUL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from answerkey.excerpt import excerpt

__all__ = ["ID_EXPECTED", "TEXT_EXPECTED", "control_character", "control_mask", "has_control", "with_control"]

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 controls (NUL, tab, line feed...), DEL, C1 controls and the Unicode line and paragraph separators."""
NUL = re.compile("\x00")
ID_EXPECTED = "an id without control characters (U+0000-U+001F, U+007F-U+009F, U+2028, U+2029)"
TEXT_EXPECTED = "text without NUL characters (U+0000)"


def has_control(text: str) -> bool:
    """True when ``text`` holds a character an id may not."""
    return CONTROL.search(text) is not None


def control_character(text: str, pattern: re.Pattern[str] = CONTROL) -> str | None:
    """The first refused character of ``text`` and where it is (``U+0000 at character 3``), or None."""
    found = pattern.search(text)
    return None if found is None else f"U+{ord(found.group()):04X} at character {found.start() + 1}"


def with_control(value: object, pattern: re.Pattern[str] = CONTROL) -> str:
    """What was found, for a message: a short quotation of ``value`` and its first refused character."""
    where = control_character(value, pattern) if isinstance(value, str) else None
    return f"{excerpt(value)} (a control character, {where})" if where else excerpt(value)


def control_mask(values: Sequence[object] | np.ndarray, pattern: re.Pattern[str] = CONTROL) -> np.ndarray:
    """Which of ``values`` are text holding a refused character (missing values and non-text never are).

    One search over all the text joined serves the usual case where none does (a tenth of a second a million
    ids); only then is each value searched.
    """
    texts = [value for value in values if isinstance(value, str)]
    if pattern.search("".join(texts)) is None:
        return np.zeros(len(values), dtype=bool)
    return np.array([isinstance(value, str) and pattern.search(value) is not None for value in values], dtype=bool)
