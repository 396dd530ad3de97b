"""Long-format annotations to the matrices every agreement coefficient is computed from.

Built once, here, not in every metric: category codes, the item x category count matrix and, for two-rater
coefficients, the paired judgements.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError

__all__ = [
    "LEVELS",
    "RatingCounts",
    "UndefinedAgreementWarning",
    "long_frame",
    "ordered_categories",
    "rating_counts",
    "undefined",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")


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
    categories' positions on their scale (numbers for numeric labels, ranks otherwise).
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


def rating_counts(annotations: Any, *, level: str = "nominal", order: Sequence[Any] | None = None) -> RatingCounts:
    """The item x category count matrix of long-format annotations (each annotator's judgements count)."""
    if level not in LEVELS:
        raise ParameterError.invalid("level", f"one of {', '.join(LEVELS)}", level)
    frame = long_frame(annotations)
    categories = ordered_categories(frame["label"], level, order)
    item_codes, items = pd.factorize(frame["item_id"], sort=False)
    label_codes = pd.Index(categories).get_indexer(frame["label"])
    k = len(categories)
    flat = np.bincount(item_codes * k + label_codes, minlength=len(items) * k)
    counts = flat.reshape(len(items), k).astype(float)
    return RatingCounts(np.asarray(items, dtype=object), categories, _category_values(categories, level), counts)
