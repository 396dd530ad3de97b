"""``consensus()``: one ground-truth label per item, with its confidence, by a named method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from answerkey.errors import ParameterError
from answerkey.quality.aggregation.dawid_skene import DawidSkene
from answerkey.quality.aggregation.majority import latest_per_annotator, majority_vote
from answerkey.quality.agreement._data import long_frame

__all__ = ["METHODS", "consensus", "default_method"]

METHODS = ("majority", "dawid-skene", "one-coin")


def default_method(judgements: pd.DataFrame) -> str:
    """Dawid-Skene when every judged item has three or more judgements (enough to learn confusions), else
    majority vote."""
    per_item = judgements.groupby("item_id")["annotator_id"].nunique()
    return "dawid-skene" if len(per_item) and bool((per_item >= 3).all()) else "majority"


def consensus(annotations: Any, method: str = "majority", labels: Sequence[Any] | None = None) -> pd.DataFrame:
    """Ground-truth labels: ``item_id``, ``label``, ``confidence``, ``status``, ``method``.

    ``majority`` marks ties ``disputed`` with no label (never broken silently); the probabilistic methods
    give their most probable label with its posterior, ``disputed`` below a posterior of 0.5. Each
    annotator's latest judgement per item is used (a correction replaces what it corrects).
    """
    if method not in METHODS:
        raise ParameterError.invalid("method", f"one of {', '.join(METHODS)}", method)
    frame = annotations if isinstance(annotations, pd.DataFrame) else long_frame(annotations)
    latest = latest_per_annotator(frame)
    if method == "majority":
        result = majority_vote(latest)[["item_id", "label", "confidence", "status"]]
        return result.assign(method="majority")
    model = DawidSkene(one_coin=method == "one-coin").fit(latest, labels)
    return model.labels_
