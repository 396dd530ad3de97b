"""Krippendorff's alpha at the nominal, ordinal, interval and ratio levels, and for label sets (MASI, Jaccard).

The coincidence matrix is one product of the item x category count matrix with itself, so the cost grows
with items x categories, not with categories squared per item: 40 labels cost what 5 do. For multi-label
judgements each distinct label set is a category, and the distances between sets come from one product of the
sets x labels membership matrix with itself, so hundreds of distinct sets cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from answerkey.errors import ParameterError
from answerkey.quality.agreement._data import SET_LEVELS, RatingCounts, rating_counts, undefined

__all__ = ["MASI_MONOTONICITY", "alpha_from_counts", "coincidences", "krippendorff_alpha", "set_distances",
           "squared_distances"]

MASI_MONOTONICITY = (1.0, 2 / 3, 1 / 3, 0.0)
"""MASI's monotonicity weight for identical sets, one a subset of the other, overlapping, and disjoint sets.

Passonneau (2006) defines exact thirds, as NLTK's ``masi_distance`` does from 3.10.4; NLTK up to 3.10.0 used the
rounded 0.67 and 0.33, which moves a distance by at most 0.0034.
"""


def coincidences(counts: np.ndarray) -> np.ndarray:
    """The K x K coincidence matrix: each pairable item's pairs of judgements, weighted 1 / (m_u - 1)."""
    per_item = counts.sum(axis=1)
    pairable = per_item >= 2
    c = counts[pairable]
    weighted = c / (per_item[pairable] - 1.0)[:, None]
    matrix: np.ndarray = weighted.T @ c
    matrix[np.diag_indices_from(matrix)] -= weighted.sum(axis=0)
    return matrix


def set_distances(metric: str, members: np.ndarray) -> np.ndarray:
    """Distances between label sets given as a sets x labels 0/1 membership matrix: Jaccard or MASI.

    Jaccard distance is ``1 - |A & B| / |A | B|``; MASI distance is ``1 - J * M`` with J the Jaccard
    similarity and M the monotonicity weight of ``MASI_MONOTONICITY``. Two empty sets are at distance 0 (they
    are the same set); the empty set is at distance 1 from any other.

    Examples
    --------
    >>> import numpy as np
    >>> sets = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 1, 0]])  # {a, b}, {a, b, c, d}, {c}
    >>> set_distances("masi", sets).round(4).tolist()
    [[0.0, 0.6667, 1.0], [0.6667, 0.0, 0.8333], [1.0, 0.8333, 0.0]]
    >>> set_distances("jaccard", sets).round(4).tolist()
    [[0.0, 0.5, 1.0], [0.5, 0.0, 0.75], [1.0, 0.75, 0.0]]
    """
    if metric not in SET_LEVELS:
        raise ParameterError.invalid("metric", f"one of {', '.join(SET_LEVELS)}", metric)
    members = np.asarray(members, dtype=float)
    shared = members @ members.T
    sizes = members.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    with np.errstate(divide="ignore", invalid="ignore"):
        similarity = np.where(union == 0, 1.0, shared / union)
    if metric == "jaccard":
        jaccard: np.ndarray = 1.0 - similarity
        return jaccard
    same, subset, overlap, disjoint = MASI_MONOTONICITY
    smaller = np.minimum(sizes[:, None], sizes[None, :])
    equal = (shared == sizes[:, None]) & (shared == sizes[None, :])
    weight = np.select([equal, shared == smaller, shared > 0], [same, subset, overlap], disjoint)
    masi: np.ndarray = 1.0 - similarity * weight
    return masi


def squared_distances(level: str, values: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """Krippendorff's difference function delta^2 between categories, at ``level``.

    At the set levels ``values`` is the categories x labels membership matrix and delta^2 is the MASI or
    Jaccard distance itself, not its square (as in Passonneau 2006 and NLTK).
    """
    if level in SET_LEVELS:
        return set_distances(level, values)
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
    level : {"nominal", "ordinal", "interval", "ratio", "masi", "jaccard"}
        The scale of the labels. ``"masi"`` and ``"jaccard"`` are for multi-label judgements, each a set of
        labels joined by ``|`` (or a Python set, list or tuple); the order inside a value does not matter and
        ``""`` is the empty set. Each distinct set is a category, and two sets disagree by their MASI or Jaccard
        distance, so partially overlapping sets get partial credit.
    order : sequence, optional
        Label order for the ordinal level (numeric labels sort as numbers without it); ignored for sets.

    Returns
    -------
    float
        Alpha; NaN with an ``UndefinedAgreementWarning`` when there is no variation or no pairable item.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. University of Pennsylvania.
    Passonneau, R. (2006). Measuring Agreement on Set-Valued Items (MASI) for Semantic and Pragmatic
    Annotation. LREC 2006.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "annotator_id": list("ababab"),
    ...                       "label": ["x", "x", "y", "y", "x", "y"]})
    >>> round(krippendorff_alpha(frame), 3)
    0.444
    >>> sets = frame.assign(label=["a|b", "b|a", "c", "c", "a", "a|c"])
    >>> round(krippendorff_alpha(sets, level="masi"), 3)
    0.7
    """
    return alpha_from_counts(rating_counts(annotations, level=level, order=order), level)
