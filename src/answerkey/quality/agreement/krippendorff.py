"""Krippendorff's alpha at the nominal, ordinal, interval and ratio levels, from the coincidence matrix.

The coincidence matrix is one product of the item x category count matrix with itself, so the cost grows
with items x categories, not with categories squared per item: 40 labels cost what 5 do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from answerkey.quality.agreement._data import RatingCounts, rating_counts, undefined

__all__ = ["alpha_from_counts", "coincidences", "krippendorff_alpha", "squared_distances"]


def coincidences(counts: np.ndarray) -> np.ndarray:
    """The K x K coincidence matrix: each pairable item's pairs of judgements, weighted 1 / (m_u - 1)."""
    per_item = counts.sum(axis=1)
    pairable = per_item >= 2
    c = counts[pairable]
    weighted = c / (per_item[pairable] - 1.0)[:, None]
    matrix: np.ndarray = weighted.T @ c
    matrix[np.diag_indices_from(matrix)] -= weighted.sum(axis=0)
    return matrix


def squared_distances(level: str, values: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """Krippendorff's difference function delta^2 between categories, at ``level``."""
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
        low = np.minimum.outer(np.arange(k), np.arange(k))
        high = np.maximum.outer(np.arange(k), np.arange(k))
        between = cumulative[high + 1] - cumulative[low]
        distance: np.ndarray = (between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2
        np.fill_diagonal(distance, 0.0)
        return distance
    difference: np.ndarray = values[:, None] - values[None, :]
    if level == "interval":
        squared: np.ndarray = difference**2
        return squared
    total = values[:, None] + values[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total == 0, 0.0, difference / total)
    return ratio**2


def alpha_from_counts(data: RatingCounts, level: str) -> float:
    """Alpha of a count matrix (used directly by the bootstrap, which resamples its rows)."""
    observed = coincidences(data.counts)
    marginals = observed.sum(axis=0)
    n = marginals.sum()
    if n < 2:
        return undefined("Krippendorff's alpha", "no item has two judgements")
    distance = squared_distances(level, data.values, marginals)
    expected = float((np.outer(marginals, marginals) * distance).sum())
    if expected == 0:
        return undefined("Krippendorff's alpha", "every judgement is the same category (no variation)")
    return float(1.0 - (n - 1.0) * float((observed * distance).sum()) / expected)


def krippendorff_alpha(annotations: Any, level: str = "nominal", order: Sequence[Any] | None = None) -> float:
    """Krippendorff's alpha of long-format annotations, missing judgements allowed.

    Parameters
    ----------
    annotations : DataFrame
        Long format (pandas or polars): ``item_id``, ``annotator_id``, ``label``.
    level : {"nominal", "ordinal", "interval", "ratio"}
        The scale of the labels.
    order : sequence, optional
        Label order for the ordinal level (numeric labels sort as numbers without it).

    Returns
    -------
    float
        Alpha; NaN with an ``UndefinedAgreementWarning`` when there is no variation or no pairable item.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. University of Pennsylvania.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "annotator_id": list("ababab"),
    ...                       "label": ["x", "x", "y", "y", "x", "y"]})
    >>> round(krippendorff_alpha(frame), 3)
    0.444
    """
    return alpha_from_counts(rating_counts(annotations, level=level, order=order), level)
