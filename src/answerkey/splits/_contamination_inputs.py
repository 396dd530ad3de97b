"""The inputs of the contamination checks: parameters checked once, items put in one order, inputs normalised.

Kept apart from :mod:`answerkey.splits.contamination` so that module holds the tiers and nothing else.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.splits.minhash import normalise_text
from answerkey.timestamps import parse_timestamps

__all__ = ["SPLIT_ORDER", "Prepared", "hashable", "plain", "prepare", "times", "validate"]

SPLIT_ORDER = ("train", "validation", "test")
"""Splits in the order pairs point: the first item of a pair is in the earlier split. Other names follow, sorted."""
SIGNIFICANT_BITS = 40
"""Numbers are rounded to this many significant bits (about 12 decimal digits) before exact comparison."""


@dataclass(frozen=True)
class Prepared:
    """The items with a split, in split then item-id order, with their normalised inputs and hashes."""

    ids: npt.NDArray[Any]
    source: npt.NDArray[np.int64]
    ranks: npt.NDArray[np.int64]
    names: list[str]
    texts: list[list[str]]
    numeric: npt.NDArray[np.float64]
    has_text: npt.NDArray[np.bool_]
    has_input: npt.NDArray[np.bool_]
    text_key: npt.NDArray[np.uint64]
    exact_key: npt.NDArray[np.uint64]


def _column(frame: pd.DataFrame, name: object, parameter: str) -> None:
    if not isinstance(name, str | int) or name not in frame.columns:
        close = difflib.get_close_matches(str(name), [str(c) for c in frame.columns], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError.invalid(parameter, f"a column of items{hint}", name)


def _columns(frame: pd.DataFrame, names: object, parameter: str) -> None:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ParameterError.invalid(parameter, "a sequence of column names (a list, not one string)", names)
    for name in names:
        _column(frame, name, parameter)


def _integer(value: object, parameter: str, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low or \
            (high is not None and int(value) > high):
        bound = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise ParameterError.invalid(parameter, bound, value)


def validate(items: pd.DataFrame, *, split: str, item_id: str, text_columns: Sequence[str],
             numeric_columns: Sequence[str], group: str | None, time: str | None, label: str | None,
             threshold: float, ngram: int, num_perm: int, numeric_distance: float, seed: int) -> None:
    """Every parameter of ``contamination_pairs`` checked once, each error naming its parameter."""
    if not isinstance(items, pd.DataFrame):
        raise ParameterError.invalid("items", "a pandas DataFrame", type(items).__name__)
    _column(items, split, "split")
    _column(items, item_id, "item_id")
    _columns(items, text_columns, "text_columns")
    _columns(items, numeric_columns, "numeric_columns")
    for parameter, name in (("group", group), ("time", time), ("label", label)):
        if name is not None:
            _column(items, name, parameter)
    for name in numeric_columns:
        dtype = items[name].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ParameterError.invalid("numeric_columns", "numeric columns", f"{name!r} of {dtype}")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.0 < threshold <= 1.0:
        raise ParameterError.invalid("threshold", "a Jaccard index in (0, 1]", threshold)
    _integer(ngram, "ngram", 1)
    _integer(num_perm, "num_perm", 2, 1 << 16)
    _integer(seed, "seed", 0, (1 << 32) - 1)
    if isinstance(numeric_distance, bool) or not isinstance(numeric_distance, numbers.Real) or \
            not math.isfinite(numeric_distance) or numeric_distance < 0:
        raise ParameterError.invalid("numeric_distance", "a finite distance >= 0", numeric_distance)
    assigned = items[items[split].notna()]
    ids = assigned[item_id]
    if ids.isna().any():
        raise ParameterError.invalid("item_id", "an id on every item", f"{int(ids.isna().sum())} missing")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise ParameterError.invalid("item_id", "a column of unique ids",
                                     f"{repeated.nunique()} repeated, such as {plain(repeated.iloc[0])!r}")
    if time is not None:
        times(items[time])


def split_names(values: pd.Series) -> list[str]:
    """The split names present, ``SPLIT_ORDER`` first and the others after it in sorted order."""
    present = {str(v) for v in values.dropna().unique()}
    return [s for s in SPLIT_ORDER if s in present] + sorted(present - set(SPLIT_ORDER))


def _id_order(ids: pd.Series) -> npt.NDArray[np.int64]:
    try:
        return np.argsort(ids.to_numpy(), kind="stable").astype(np.int64)
    except TypeError:  # ids of mixed types: compare as text
        return np.argsort(ids.astype(str).to_numpy(), kind="stable").astype(np.int64)


def round_significant(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Numbers rounded to ``SIGNIFICANT_BITS`` significant bits, -0.0 as 0.0 and one NaN, for exact hashing."""
    mantissa, exponent = np.frexp(values)
    scale = float(1 << SIGNIFICANT_BITS)
    rounded = np.ldexp(np.round(mantissa * scale) / scale, exponent) + 0.0
    rounded[np.isnan(values)] = np.nan
    return rounded.astype(np.float64)


def _hash(columns: dict[str, Any], rows: int) -> npt.NDArray[np.uint64]:
    if not columns:
        return np.zeros(rows, dtype=np.uint64)
    hashed = pd.util.hash_pandas_object(pd.DataFrame(columns), index=False)
    return np.asarray(hashed.to_numpy(), dtype=np.uint64)


def prepare(items: pd.DataFrame, split: str, item_id: str, text_columns: list[str],
            numeric_columns: list[str]) -> Prepared:
    """Items with a split in (split, item id) order, texts normalised, numbers as floats, rows hashed."""
    source = np.flatnonzero(items[split].notna().to_numpy())
    names = split_names(items[split])
    ranks = pd.Categorical(items[split].to_numpy(dtype=object)[source].astype(str), categories=names).codes
    by_id = _id_order(items[item_id].iloc[source].reset_index(drop=True))
    order = by_id[np.argsort(ranks[by_id], kind="stable")]
    source, ranks = source[order], ranks[order].astype(np.int64)
    texts = [[normalise_text(v) for v in items[name].to_numpy(dtype=object)[source]] for name in text_columns]
    numeric = np.column_stack([items[name].to_numpy(dtype=np.float64, na_value=np.nan)[source]
                               for name in numeric_columns]) if numeric_columns else np.zeros((len(source), 0))
    has_text = np.zeros(len(source), dtype=bool)
    for column in texts:
        has_text |= np.fromiter((bool(t) for t in column), dtype=bool, count=len(source))
    has_input = has_text | ~np.isnan(numeric).all(axis=1) if numeric_columns else has_text
    text_key = _hash({f"t{i}": np.asarray(column, dtype=object) for i, column in enumerate(texts)}, len(source))
    exact_key = _hash({"text": text_key, **{f"n{i}": round_significant(numeric[:, i])
                                            for i in range(numeric.shape[1])}}, len(source)) \
        if numeric_columns else text_key
    return Prepared(
        ids=items[item_id].to_numpy(dtype=object)[source], source=source.astype(np.int64), ranks=ranks,
        names=names, texts=texts, numeric=numeric.astype(np.float64), has_text=has_text,
        has_input=np.asarray(has_input, dtype=bool), text_key=text_key, exact_key=exact_key)


def times(values: pd.Series) -> npt.NDArray[Any]:
    """A time column as comparable values: datetime64 (naive UTC) for datetimes and ISO text, else float."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return stamps.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.astype(object).where(values.notna(), None)
    parsed = parse_timestamps(text)
    failed = parsed.isna() & values.notna()
    if failed.any():
        raise ParameterError.invalid("time", "a column of datetimes, ISO 8601 timestamps or numbers",
                                     plain(values[failed].iloc[0]))
    return parsed.to_numpy(dtype="datetime64[ns]")


def time_text(stamps: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Times as text for a detail: ISO 8601 for datetimes, the number otherwise."""
    if np.issubdtype(stamps.dtype, np.datetime64):
        return np.datetime_as_string(stamps, unit="s").astype(object)
    return np.asarray([f"{v:g}" for v in stamps], dtype=object)


def hashable(value: Any) -> Any:
    """The value, or its ``repr`` when it cannot be a dictionary key (a list of labels)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds, for messages and JSON evidence."""
    return value.item() if isinstance(value, np.generic) else value
