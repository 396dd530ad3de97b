"""ROC AUC computed in the engine: the Mann-Whitney U statistic with average ranks for ties.

AUC is the probability that a random positive scores above a random negative, ties counting one half:
``U / (P * N)`` with ``U = sum over positives of (negatives scored lower + half the negatives scored the
same)``. The engine counts positives and negatives per distinct score (group by), accumulates the negatives
below each score with a window function, and sums per window and segment; only one row per group comes back.
This equals :func:`sklearn.metrics.roc_auc_score` exactly, ties included. Multiclass AUC is one-vs-rest per
class probability column, and its macro average is their mean (scikit-learn's ``multi_class="ovr"``).

The interval is the normal one with Hanley and McNeil's standard error, which needs only the AUC and the two
class counts.

References
----------
Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area under a receiver operating
characteristic (ROC) curve. Radiology, 143(1), 29-36.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt
import pandas as pd

from answerkey.intervals import z_value

__all__ = ["CLASS_KEY", "auc_rows", "hanley_mcneil_se", "one_vs_rest_table", "rank_auc_table"]

CLASS_KEY = "_class"
"""The key column of the class in a one-vs-rest AUC table."""


def rank_auc_table(table: Any, keys: Sequence[str], score: Any, positive: Any) -> Any:
    """Ibis expression: per group of ``keys``, ``positives``, ``negatives`` and the Mann-Whitney ``u``.

    ``score`` and ``positive`` (a boolean) are expressions on ``table``; rows with no score are left out.
    """
    base = table.select(*keys, s=score, y=positive.cast("int64")).filter(lambda t: t.s.notnull())
    per_score = base.group_by([*keys, "s"]).agg(pos=base.y.sum(), neg=(1 - base.y).sum())
    below = per_score.neg.sum().over(ibis.cumulative_window(group_by=list(keys), order_by=per_score.s))
    ranked = per_score.mutate(below=below - per_score.neg)
    return ranked.group_by(list(keys)).agg(
        positives=ranked.pos.sum(), negatives=ranked.neg.sum(),
        u=(ranked.pos * (ranked.below + 0.5 * ranked.neg)).sum())


def one_vs_rest_table(table: Any, keys: Sequence[str], class_scores: Mapping[Any, str]) -> Any:
    """Ibis expression: :func:`rank_auc_table` for each class's probability column, keyed also by class."""
    parts = [table.select(*keys, table.outcome, _s=table[column], **{CLASS_KEY: ibis.literal(label)})
             .mutate(_y=lambda t, label=label: t.outcome == label)
             for label, column in class_scores.items()]
    stacked = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return rank_auc_table(stacked, [*keys, CLASS_KEY], stacked._s, stacked._y)


def hanley_mcneil_se(auc: npt.ArrayLike, positives: npt.ArrayLike, negatives: npt.ArrayLike) -> npt.NDArray[Any]:
    """Hanley and McNeil's (1982) standard error of an AUC from the class counts.

    >>> round(float(hanley_mcneil_se(0.8, 50, 50)), 4)
    0.0445
    """
    a = np.asarray(auc, dtype=float)
    p = np.asarray(positives, dtype=float)
    n = np.asarray(negatives, dtype=float)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (a * (1 - a) + (p - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (p * n)
    return np.asarray(np.sqrt(np.clip(variance, 0.0, None)))


def auc_rows(frame: pd.DataFrame, keys: Sequence[str], confidence: float) -> pd.DataFrame:
    """From :func:`rank_auc_table` results: ``value``, ``lower``, ``upper``, ``n`` and ``note`` per group."""
    out = frame.copy()
    positives = out["positives"].to_numpy(float)
    negatives = out["negatives"].to_numpy(float)
    defined = (positives > 0) & (negatives > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = np.where(defined, out["u"].to_numpy(float) / (positives * negatives), np.nan)
    half = z_value(confidence) * hanley_mcneil_se(auc, positives, negatives)
    out["value"] = auc
    out["lower"] = np.clip(auc - half, 0.0, 1.0)
    out["upper"] = np.clip(auc + half, 0.0, 1.0)
    out["n"] = (positives + negatives).astype("int64")
    out["note"] = np.where(defined, "", "undefined: only one class among the outcomes")
    return out[[*keys, "value", "lower", "upper", "n", "note"]]
