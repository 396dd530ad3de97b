"""Label names to integer codes at the boundary of the label-error checks, and the class order they share.

The class order is the column order of the probabilities: a DataFrame's columns, the ``classes`` the caller
passes, ``0..k-1`` when the labels are integer codes, or else the sorted label names (the order scikit-learn's
``classes_`` uses, so ``cross_val_predict(..., method="predict_proba")`` columns line up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError

__all__ = [
    "MULTI_LABEL_TYPES",
    "as_probabilities",
    "encode_labels",
    "is_multi_label",
    "item_ids_of",
    "resolve_classes",
    "sorted_names",
]

MULTI_LABEL_TYPES = (list, tuple, set, frozenset)
"""A label of one of these types is a set of class names: the task is multi-label (one-vs-rest)."""


def is_multi_label(labels: Iterable[Any]) -> bool:
    """True when some label is a list, tuple, set or frozenset of names (an ``a|b`` string is not)."""
    if isinstance(labels, np.ndarray) and labels.dtype != object:
        return False
    return any(isinstance(label, MULTI_LABEL_TYPES) for label in labels)


def sorted_names(names: Iterable[Any]) -> list[Any]:
    """Distinct names in sorted order (by their text when they do not compare, e.g. mixed types)."""
    distinct = set(names)
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=str)


def _all_codes(values: Sequence[Any] | np.ndarray) -> bool:
    array = np.asarray(values)
    if array.dtype.kind in "iu" or not len(array):
        return True
    return array.dtype == object and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in array)


def resolve_classes(names: Sequence[Any] | np.ndarray, pred_probs: Any, classes: Sequence[Any] | None,
                    n_columns: int) -> list[Any]:
    """The class of each probability column, checked to be distinct and as many as the columns."""
    if classes is None:
        if isinstance(pred_probs, pd.DataFrame):
            classes = list(pred_probs.columns)
        elif _all_codes(names):
            classes = list(range(n_columns))
        else:
            classes = sorted_names(names)
            if len(classes) != n_columns:
                raise ParameterError.invalid(
                    "classes", f"given when the labels name other than {n_columns} classes (one per column of "
                    "pred_probs, in column order)", f"{len(classes)} distinct labels")
    resolved = list(classes)
    if len(resolved) != n_columns:
        raise ParameterError.invalid("classes", f"one name per column of pred_probs ({n_columns})",
                                     f"{len(resolved)} names")
    if len(set(resolved)) != len(resolved):
        raise ParameterError.invalid("classes", "distinct names", resolved)
    return resolved


def encode_labels(labels: Sequence[Any] | np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    """Each label's column in ``classes`` (int64); an unknown name is refused, naming a few of them."""
    array = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
    if array.ndim != 1:
        raise ParameterError.invalid("labels", "one label per item (a 1-d sequence)", f"shape {array.shape}")
    if array.dtype.kind in "iu" and list(classes) == list(range(len(classes))):
        codes = array.astype(np.int64, copy=False)
        bad = (codes < 0) | (codes >= len(classes))
    else:
        codes = pd.Index(list(classes)).get_indexer(array).astype(np.int64, copy=False)
        bad = codes < 0
    if bad.any():
        unknown = sorted({str(v) for v in array[bad][:1000]})[:5]
        raise ParameterError.invalid("labels", f"names among the classes {list(classes)[:20]}", f"unknown {unknown}")
    return codes


def as_probabilities(pred_probs: Any, n_items: int, *, rows_sum_to_one: bool) -> np.ndarray:
    """The probabilities as a 2-d float array, without copying float32 or float64 input; checked once."""
    array = pred_probs.to_numpy() if isinstance(pred_probs, pd.DataFrame) else np.asarray(pred_probs)
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if array.ndim != 2 or array.shape[0] != n_items:
        raise ParameterError.invalid("pred_probs", "an items x classes matrix with one row per label",
                                     f"shape {array.shape} for {n_items} labels")
    if array.shape[1] < 2:
        raise ParameterError.invalid("pred_probs", "at least two class columns", f"shape {array.shape}")
    if array.size:
        low, high = float(array.min()), float(array.max())
        if not (low >= 0.0 and high <= 1.0 + 1e-6):  # NaN fails both comparisons
            raise ParameterError.invalid("pred_probs", "probabilities in [0, 1] with no NaN",
                                         f"values from {low} to {high}")
        if rows_sum_to_one:
            sums = array.sum(axis=1)
            sums -= 1.0
            if np.abs(sums, out=sums).max() > 1e-3:
                raise ParameterError.invalid("pred_probs", "rows that sum to 1 (for a multi-label task pass "
                                             "labels as lists or sets of names)",
                                             f"a row sum off by {float(sums.max()):.4g}")
    return array


def item_ids_of(labels: Any, item_ids: Sequence[Any] | None, n_items: int) -> Any:
    """The caller's item ids, else a Series' index, else positions 0..n-1."""
    if item_ids is not None:
        ids = np.asarray(list(item_ids) if not isinstance(item_ids, np.ndarray | pd.Index | pd.Series)
                         else item_ids)
        if len(ids) != n_items:
            raise ParameterError.invalid("item_ids", f"one id per label ({n_items})", f"{len(ids)} ids")
        return ids
    if isinstance(labels, pd.Series):
        return labels.index.to_numpy()
    return np.arange(n_items)
