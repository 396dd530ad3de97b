"""Weighted majority vote: each annotator's vote counts by how often they are right.

An annotator's weight is the log-odds of being right against a uniform wrong answer,
``log((K - 1) * p / (1 - p))`` (the optimal weight under the one-coin model), with ``p`` estimated by how
often they agree with the majority of the *other* judgements on the same items (their own vote left out, so
a careless annotator cannot vouch for themself). Annotators no better than chance get weight 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.quality.aggregation._encoding import EncodedJudgements, encode_judgements

__all__ = ["leave_one_out_accuracy", "leave_one_out_agreement", "vote_weights", "weighted_majority"]

def leave_one_out_agreement(data: EncodedJudgements) -> tuple[np.ndarray, np.ndarray]:
    """Per judgement: whether it equals the majority of the *other* judgements on its item, and whether that
    majority exists (unique, from at least one other judgement). Returns ``(agrees, usable)``."""
    counts = data.vote_counts()
    others = counts[data.item]
    if others.size == 0:  # no judgements (or no labels): nothing agrees, nothing is usable
        empty = np.zeros(len(data.item), dtype=bool)
        return empty, empty.copy()
    others[np.arange(len(data.item)), data.label] -= 1.0
    top = others.max(axis=1)
    usable = ((others == top[:, None]).sum(axis=1) == 1) & (top > 0)
    agrees = usable & (others.argmax(axis=1) == data.label)
    return agrees, usable


def leave_one_out_accuracy(data: EncodedJudgements) -> pd.Series:
    """Each annotator's agreement with the majority of the other judgements on the items they labelled.

    Judgements whose others have no unique majority (a tie, or no other judgement) are not counted; the
    estimate is smoothed towards 1/2 with one pseudo-judgement each way.
    """
    a = data.shape[1]
    agrees, usable = leave_one_out_agreement(data)
    hits = np.bincount(data.annotator, weights=agrees.astype(float), minlength=a)
    trials = np.bincount(data.annotator, weights=usable.astype(float), minlength=a)
    return pd.Series((hits + 1.0) / (trials + 2.0), index=pd.Index(data.annotators, name="annotator_id"))


def vote_weights(accuracy: pd.Series, n_labels: int) -> pd.Series:
    """One-coin log-odds weights from accuracies, zero at or below chance (1 / K)."""
    p = accuracy.to_numpy(dtype=float).clip(1e-6, 1 - 1e-6)
    weights = np.maximum(np.log(max(n_labels - 1, 1) * p / (1 - p)), 0.0)
    return pd.Series(weights, index=accuracy.index)


def weighted_majority(
    annotations: Any,
    weights: Mapping[Any, float] | pd.Series | None = None,
    labels: Sequence[Any] | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Consensus labels by weighted vote, and the weight each annotator got.

    Parameters
    ----------
    annotations : DataFrame
        Long format: ``item_id``, ``annotator_id``, ``label`` (one judgement per annotator and item).
    weights : mapping, optional
        Annotator -> weight; estimated from leave-one-out agreement when not given. Unknown annotators get 0.
    labels : sequence, optional
        The label set (default: the labels that occur).

    Returns
    -------
    (DataFrame, Series)
        ``item_id``, ``label`` (None when the top weighted score is tied: ``disputed``), ``confidence`` (the
        label's share of the item's vote weight), ``status``, ``method``; and the weights used.

    Examples
    --------
    >>> frame = pd.DataFrame({"item_id": [1, 1, 1], "annotator_id": ["a", "b", "c"], "label": ["x", "y", "y"]})
    >>> result, _ = weighted_majority(frame, weights={"a": 3.0, "b": 1.0, "c": 1.0})
    >>> result[["label", "confidence"]].values.tolist()
    [['x', 0.6]]
    """
    data = encode_judgements(annotations, labels)
    n, _, k = data.shape
    if weights is None:
        used = vote_weights(leave_one_out_accuracy(data), k)
    else:
        used = pd.Series(weights, dtype=float).reindex(data.annotators).fillna(0.0)
        used.index.name = "annotator_id"
    per_vote = used.to_numpy(dtype=float)[data.annotator]
    scores = np.bincount(data.item * k + data.label, weights=per_vote, minlength=n * k).reshape(n, k)
    weightless = scores.sum(axis=1) <= 0  # judged only by zero-weight annotators: a plain vote decides
    scores[weightless] = data.vote_counts()[weightless]
    best = scores.argmax(axis=1)
    top = scores[np.arange(n), best]
    tied = np.isclose(scores, top[:, None], rtol=1e-12, atol=0.0).sum(axis=1) > 1
    label_array = np.asarray(list(data.labels), dtype=object)
    result = pd.DataFrame({
        "item_id": data.items,
        "label": np.where(tied, None, label_array[best]),
        "confidence": top / scores.sum(axis=1),
        "status": np.where(tied, "disputed", "agreed"),
        "method": "weighted-majority",
    })
    return result, used
