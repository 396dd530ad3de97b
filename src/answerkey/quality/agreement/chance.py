"""Chance-corrected agreement among any number of raters, missing judgements allowed (Gwet's framework).

Percent agreement, Fleiss' kappa, Gwet's AC1/AC2 and Brennan-Prediger share the observed agreement and differ
only in the agreement they expect by chance. Each takes the item x category counts and optional weights.

References
----------
Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., chapters 2 and 4 (multiple raters, missing
ratings). Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological Bulletin 76(5).
Brennan, R. L. & Prediger, D. J. (1981). Coefficient kappa: some uses, misuses, and alternatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from answerkey.quality.agreement._data import RatingCounts, rating_counts, undefined
from answerkey.quality.agreement.weights import agreement_weights

__all__ = [
    "CHANCE_MODELS",
    "brennan_prediger",
    "chance_corrected",
    "fleiss_kappa",
    "gwet_ac1",
    "observed_agreement",
    "percent_agreement",
]


def observed_agreement(counts: np.ndarray, weights: np.ndarray) -> float:
    """Share of agreeing pairs of judgements per item, averaged over items with two or more judgements."""
    per_item = counts.sum(axis=1)
    pairable = per_item >= 2
    if not pairable.any():
        return float("nan")
    c = counts[pairable]
    weighted = c @ weights.T
    m = per_item[pairable]
    return float(((c * (weighted - 1.0)).sum(axis=1) / (m * (m - 1.0))).mean())


def _class_shares(counts: np.ndarray) -> np.ndarray:
    per_item = counts.sum(axis=1)
    rated = per_item >= 1
    shares: np.ndarray = (counts[rated] / per_item[rated][:, None]).mean(axis=0)
    return shares


def _fleiss_chance(shares: np.ndarray, weights: np.ndarray) -> float:
    return float(shares @ weights @ shares)


def _gwet_chance(shares: np.ndarray, weights: np.ndarray) -> float:
    k = len(shares)
    return float(weights.sum() / (k * (k - 1)) * (shares * (1.0 - shares)).sum())


def _uniform_chance(shares: np.ndarray, weights: np.ndarray) -> float:
    return float(weights.sum() / len(shares) ** 2)


CHANCE_MODELS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "fleiss": _fleiss_chance,
    "gwet": _gwet_chance,
    "brennan_prediger": _uniform_chance,
}


def chance_corrected(data: RatingCounts, chance: str, weights: str | None = None) -> float:
    """(p_a - p_e) / (1 - p_e) with the named chance model; NaN (with a warning) when undefined."""
    name = {"fleiss": "Fleiss' kappa", "gwet": "Gwet's AC", "brennan_prediger": "Brennan-Prediger"}[chance]
    k = len(data.categories)
    w = agreement_weights(weights, data.values)
    observed = observed_agreement(data.counts, w)
    if np.isnan(observed):
        return undefined(name, "no item has two judgements")
    if k < 2:
        return undefined(name, "only one category was used (no variation)")
    expected = CHANCE_MODELS[chance](_class_shares(data.counts), w)
    if expected >= 1.0:
        return undefined(name, "agreement expected by chance is 1 (no variation)")
    return float((observed - expected) / (1.0 - expected))


def percent_agreement(annotations: Any) -> float:
    """Share of agreeing pairs of judgements on the same item (items with two or more judgements).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item_id": [1, 1, 2, 2], "annotator_id": list("abab"), "label": list("xxxy")})
    >>> percent_agreement(frame)
    0.5
    """
    data = rating_counts(annotations)
    observed = observed_agreement(data.counts, np.eye(len(data.categories)))
    return observed if not np.isnan(observed) else undefined("percent agreement", "no item has two judgements")


def fleiss_kappa(annotations: Any, weights: str | None = None, order: Sequence[Any] | None = None) -> float:
    """Fleiss' kappa for any number of raters, generalised to missing judgements (Gwet 2014).

    With two raters and no missing judgements it equals Scott's pi.
    """
    level = "nominal" if weights in (None, "identity") else "ordinal"
    return chance_corrected(rating_counts(annotations, level=level, order=order), "fleiss", weights)


def gwet_ac1(annotations: Any, weights: str | None = None, order: Sequence[Any] | None = None) -> float:
    """Gwet's AC1 (AC2 with ``weights``): chance agreement from how evenly the categories are used.

    Unlike kappa it does not collapse when one category dominates (the "kappa paradox").
    """
    level = "nominal" if weights in (None, "identity") else "ordinal"
    return chance_corrected(rating_counts(annotations, level=level, order=order), "gwet", weights)


def brennan_prediger(annotations: Any, weights: str | None = None, order: Sequence[Any] | None = None) -> float:
    """Brennan-Prediger coefficient: chance agreement as if every category were equally likely."""
    level = "nominal" if weights in (None, "identity") else "ordinal"
    return chance_corrected(rating_counts(annotations, level=level, order=order), "brennan_prediger", weights)
