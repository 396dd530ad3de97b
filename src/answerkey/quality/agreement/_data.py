"""Long-format annotations to the matrices every agreement coefficient is computed from.

Built once, here, not in every metric: category codes, the item x category count matrix and, for two-rater
coefficients, the paired judgements.

At the set levels (``masi``, ``jaccard``) one judgement is a set of labels, written as the labels joined by ``|``
(``"billing|shipping"``) or given as a Python set, frozenset, list or tuple. Each distinct set is one category,
named by its canonical text: its labels stripped, de-duplicated, sorted and joined by ``|``, so ``"b|a"`` and
``"a | b"`` are the same category as ``"a|b"``. An empty value (``""``, or only separators) is the empty set: a
judgement that no label applies, which is not the same as no judgement (None/NaN, which is dropped; the file
readers read an empty CSV field as missing, and a schema's multi-label values are never empty).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.schema.model import MULTI_LABEL_SEPARATOR as SEPARATOR

__all__ = [
    "LEVELS",
    "SET_LEVELS",
    "RatingCounts",
    "UndefinedAgreementWarning",
    "canonical_sets",
    "label_set",
    "long_frame",
    "membership",
    "ordered_categories",
    "rating_counts",
    "undefined",
]

SET_LEVELS = ("masi", "jaccard")
"""Levels whose judgements are sets of labels (multi-label tasks)."""

LEVELS = ("nominal", "ordinal", "interval", "ratio", *SET_LEVELS)


class UndefinedAgreementWarning(UserWarning):
    """A coefficient is undefined for the data (one category only, no item with two judgements)."""


def undefined(name: str, why: str) -> float:
    """Warn that ``name`` is undefined and return NaN: never a misleading 0."""
    warnings.warn(f"{name} is undefined: {why}; returning NaN", UndefinedAgreementWarning, stacklevel=3)
    return float("nan")


@dataclass(frozen=True)
class RatingCounts:
    """How many judgements each item got in each category.

    ``counts[i, k]`` counts item ``items[i]``'s judgements in category ``categories[k]``; ``values`` holds the
    categories' positions on their scale (numbers for numeric labels, ranks otherwise). At the set levels the
    categories are canonical label-set texts and ``values`` is the categories x labels 0/1 membership matrix.
    """

    items: np.ndarray
    categories: list[Any]
    values: np.ndarray
    counts: np.ndarray

    @property
    def per_item(self) -> np.ndarray:
        """Judgements per item."""
        totals: np.ndarray = self.counts.sum(axis=1)
        return totals

    def pairable(self) -> RatingCounts:
        """Only the items with at least two judgements (the ones agreement can be measured on)."""
        keep = self.per_item >= 2
        return RatingCounts(self.items[keep], self.categories, self.values, self.counts[keep])

    def take(self, rows: np.ndarray) -> RatingCounts:
        """A resample of items (for the bootstrap)."""
        return RatingCounts(self.items[rows], self.categories, self.values, self.counts[rows])


def long_frame(annotations: Any) -> pd.DataFrame:
    """A pandas frame from a pandas or polars long-format frame, checked for the three columns."""
    if not isinstance(annotations, pd.DataFrame):
        to_pandas = getattr(annotations, "to_pandas", None)
        if to_pandas is None:
            raise ParameterError.invalid("annotations", "a pandas or polars DataFrame", type(annotations).__name__)
        annotations = to_pandas()
    missing = [c for c in ("item_id", "annotator_id", "label") if c not in annotations.columns]
    if missing:
        raise ParameterError.invalid("annotations", "a long-format frame with item_id, annotator_id, label",
                                     f"columns {list(annotations.columns)}")
    frame: pd.DataFrame = annotations.loc[annotations["label"].notna(), ["item_id", "annotator_id", "label"]]
    return frame


def _category_values(categories: Sequence[Any], level: str) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(list(categories), dtype=object), errors="coerce")
    if numbers.notna().all():
        return numbers.to_numpy(dtype=float)
    if level in ("interval", "ratio"):
        raise ParameterError.invalid("labels", f"numbers for the {level} level", list(categories)[:5])
    return np.arange(len(categories), dtype=float)


def ordered_categories(labels: pd.Series, level: str, order: Sequence[Any] | None) -> list[Any]:
    """The categories in scale order: ``order`` when given, numbers sorted as numbers, else sorted text."""
    present = pd.unique(labels)
    if order is not None:
        order = list(order)
        unknown = [v for v in present if v not in set(order)]
        if unknown:
            raise ParameterError.invalid("order", f"a list naming every label (missing {unknown[:5]})", order)
        return order
    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
    if numbers.notna().all():
        return [present[i] for i in np.argsort(numbers.to_numpy(dtype=float), kind="stable")]
    if level != "nominal":
        raise ParameterError.invalid("order", f"the label order for the {level} level (labels are not numbers)",
                                     None)
    return sorted(present, key=str)


def label_set(value: Any) -> frozenset[str]:
    """The labels of one set-valued judgement: ``"a|b"``, a set, list or tuple; ``""`` is the empty set.

    Examples
    --------
    >>> sorted(label_set(" shipping | billing|billing"))
    ['billing', 'shipping']
    >>> label_set("")
    frozenset()
    """
    parts = value if isinstance(value, set | frozenset | list | tuple) else [value]
    return frozenset(label.strip() for part in parts for label in str(part).split(SEPARATOR) if label.strip())


def canonical_sets(labels: pd.Series) -> pd.Series:
    """Each judgement's label set as its canonical text (sorted labels joined by ``|``), index kept.

    Examples
    --------
    >>> canonical_sets(pd.Series(["b|a", "a | b", "", ["c", "a"]])).tolist()
    ['a|b', 'a|b', '', 'a|c']
    """
    cache: dict[Any, str] = {}

    def canonical(value: Any) -> str:
        key = (type(value), tuple(value) if isinstance(value, list) else value)  # 1 and 1.0 differ as text
        try:
            return cache[key]
        except KeyError:
            cache[key] = text = SEPARATOR.join(sorted(label_set(value)))
            return text
        except TypeError:  # unhashable inside (a tuple holding a list): not worth caching
            return SEPARATOR.join(sorted(label_set(value)))

    return pd.Series([canonical(v) for v in labels], index=labels.index, dtype=object)


def membership(sets: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The labels used by canonical set texts, and the sets x labels 0/1 matrix of which set holds which label.

    Examples
    --------
    >>> labels, matrix = membership(["a|b", "b", ""])
    >>> labels, matrix.tolist()
    (['a', 'b'], [[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    """
    parts = [[label for label in text.split(SEPARATOR) if label] for text in sets]
    labels = sorted({label for members in parts for label in members})
    rows = np.repeat(np.arange(len(parts)), [len(members) for members in parts])
    columns = pd.Index(labels).get_indexer(pd.Index([label for members in parts for label in members]))
    matrix = np.zeros((len(parts), len(labels)))
    matrix[rows, columns] = 1.0
    return labels, matrix


def rating_counts(annotations: Any, *, level: str = "nominal", order: Sequence[Any] | None = None) -> RatingCounts:
    """The item x category count matrix of long-format annotations (each annotator's judgements count).

    At the set levels each distinct label set is a category and ``order`` is ignored (sets have no order).
    """
    if level not in LEVELS:
        raise ParameterError.invalid("level", f"one of {', '.join(LEVELS)}", level)
    frame = long_frame(annotations)
    labels = canonical_sets(frame["label"]) if level in SET_LEVELS else frame["label"]
    if level in SET_LEVELS:
        categories: list[Any] = sorted(pd.unique(labels))
        values = membership(categories)[1]
    else:
        categories = ordered_categories(labels, level, order)
        values = _category_values(categories, level)
    item_codes, items = pd.factorize(frame["item_id"], sort=False)
    label_codes = pd.Index(categories).get_indexer(labels)
    k = len(categories)
    flat = np.bincount(item_codes * k + label_codes, minlength=len(items) * k)
    counts = flat.reshape(len(items), k).astype(float)
    return RatingCounts(np.asarray(items, dtype=object), categories, values, counts)
