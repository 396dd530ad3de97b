"""Two-rater coefficients on the items both rated: Cohen's kappa (weighted or not) and Scott's pi.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological Measurement 20.
Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70(4).
Scott, W. A. (1955). Reliability of content analysis: the case of nominal scale coding. Public Opinion Quarterly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.quality.agreement._data import _category_values, long_frame, ordered_categories, undefined
from answerkey.quality.agreement.weights import agreement_weights

__all__ = ["PairedJudgements", "cohen_from_table", "cohen_kappa", "paired_judgements", "scott_pi"]


@dataclass(frozen=True)
class PairedJudgements:
    """The K x K table of two annotators' judgements on the items both judged."""

    annotators: tuple[Any, Any]
    categories: list[Any]
    values: np.ndarray
    table: np.ndarray
    items: np.ndarray
    first: np.ndarray
    second: np.ndarray


def paired_judgements(
    annotations: Any, annotators: tuple[Any, Any] | None = None, order: Sequence[Any] | None = None,
    level: str = "nominal",
) -> PairedJudgements:
    """Each item both annotators judged (their latest judgement each), as codes and as a contingency table."""
    frame = long_frame(annotations)
    present = list(pd.unique(frame["annotator_id"]))
    if annotators is None:
        if len(present) != 2:
            raise ParameterError.invalid("annotators", "two annotator ids (the data has "
                                         f"{len(present)} annotators)", None)
        annotators = (present[0], present[1])
    for annotator in annotators:
        if annotator not in set(present):
            raise ParameterError.invalid("annotators", "ids present in the data", annotator)
    categories = ordered_categories(frame["label"], level, order)
    a = frame[frame["annotator_id"] == annotators[0]].drop_duplicates("item_id", keep="last")
    b = frame[frame["annotator_id"] == annotators[1]].drop_duplicates("item_id", keep="last")
    both = a.merge(b, on="item_id", suffixes=("_a", "_b"))
    index = pd.Index(categories)
    first = index.get_indexer(both["label_a"])
    second = index.get_indexer(both["label_b"])
    k = len(categories)
    table = np.bincount(first * k + second, minlength=k * k).reshape(k, k).astype(float)
    return PairedJudgements((annotators[0], annotators[1]), categories, _category_values(categories, level), table,
                            both["item_id"].to_numpy(), first, second)


def cohen_from_table(table: np.ndarray, weights: np.ndarray) -> float:
    """Cohen's kappa of a contingency table with agreement weights."""
    n = table.sum()
    if n == 0:
        return undefined("Cohen's kappa", "the two annotators share no item")
    observed = float((weights * table).sum() / n)
    expected = float((weights * np.outer(table.sum(axis=1), table.sum(axis=0))).sum() / n**2)
    if expected >= 1.0:
        return undefined("Cohen's kappa", "only one category was used (no variation)")
    return (observed - expected) / (1.0 - expected)


def cohen_kappa(
    annotations: Any, annotators: tuple[Any, Any] | None = None, weights: str | None = None,
    order: Sequence[Any] | None = None,
) -> float:
    """Cohen's kappa between two annotators on the items both judged; ``weights`` linear or quadratic.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "annotator_id": list("ababab"),
    ...                       "label": ["x", "x", "y", "y", "x", "y"]})
    >>> round(cohen_kappa(frame), 3)
    0.4
    """
    level = "nominal" if weights in (None, "identity") else "ordinal"
    pairs = paired_judgements(annotations, annotators, order, level)
    return cohen_from_table(pairs.table, agreement_weights(weights, pairs.values))


def scott_pi(annotations: Any, annotators: tuple[Any, Any] | None = None) -> float:
    """Scott's pi between two annotators: like Cohen's kappa, with chance from their pooled label shares."""
    pairs = paired_judgements(annotations, annotators)
    n = pairs.table.sum()
    if n == 0:
        return undefined("Scott's pi", "the two annotators share no item")
    shares = (pairs.table.sum(axis=0) + pairs.table.sum(axis=1)) / (2 * n)
    observed = float(np.trace(pairs.table) / n)
    expected = float((shares**2).sum())
    if expected >= 1.0:
        return undefined("Scott's pi", "only one category was used (no variation)")
    return (observed - expected) / (1.0 - expected)
