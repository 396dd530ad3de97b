"""``consensus()``: one ground-truth label per item, with its confidence, by a named method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from answerkey.errors import ParameterError
from answerkey.quality.aggregation.authority import ADJUDICATED, authority_labels, overrule
from answerkey.quality.aggregation.dawid_skene import DawidSkene
from answerkey.quality.aggregation.glad import GLAD
from answerkey.quality.aggregation.majority import latest_per_annotator, majority_vote
from answerkey.quality.aggregation.weighted import weighted_majority
from answerkey.quality.agreement._data import long_frame

__all__ = ["METHODS", "consensus", "crowd_consensus", "default_method"]

METHODS = ("majority", "weighted-majority", "dawid-skene", "one-coin", "glad")


def default_method(judgements: pd.DataFrame) -> str:
    """Dawid-Skene when every judged item has three or more judgements (enough to learn confusions), else
    majority vote."""
    per_item = judgements.groupby("item_id")["annotator_id"].nunique()
    return "dawid-skene" if len(per_item) and bool((per_item >= 3).all()) else "majority"


def consensus(
    annotations: Any, method: str = "majority", labels: Sequence[Any] | None = None,
    authority: Sequence[str] = (),
) -> pd.DataFrame:
    """Ground-truth labels: ``item_id``, ``label``, ``confidence``, ``status``, ``method``.

    ``majority`` and ``weighted-majority`` mark ties ``disputed`` with no label (never broken silently); the
    probabilistic methods give their most probable label with its posterior, ``disputed`` below a posterior of
    0.5. Each annotator's latest judgement per item is used (a correction replaces what it corrects).

    ``authority`` lists sources (a ``source`` column) whose labels outrank the crowd, strongest first, e.g.
    ``("adjudicated", "expert")``: see :mod:`answerkey.quality.aggregation.authority`. Adjudications are
    decisions, not votes, so they never enter the crowd model.
    """
    if method not in METHODS:
        raise ParameterError.invalid("method", f"one of {', '.join(METHODS)}", method)
    frame = annotations if isinstance(annotations, pd.DataFrame) else long_frame(annotations)
    if authority and "source" not in frame:
        raise ParameterError.invalid("annotations", "a source column when an authority policy is given",
                                     f"columns {list(frame.columns)}")
    crowd = frame[frame["source"] != ADJUDICATED] if "source" in frame else frame
    result = crowd_consensus(latest_per_annotator(crowd), method, labels)
    return overrule(result, authority_labels(frame, authority)) if authority else result


def crowd_consensus(latest: pd.DataFrame, method: str, labels: Sequence[Any] | None) -> pd.DataFrame:
    """One method over each annotator's latest judgement per item."""
    if latest.empty:
        return pd.DataFrame({"item_id": pd.Series(dtype=object), "label": pd.Series(dtype=object),
                             "confidence": pd.Series(dtype=float), "status": pd.Series(dtype=object),
                             "method": pd.Series(dtype=object)})
    if method == "majority":
        result = majority_vote(latest)[["item_id", "label", "confidence", "status"]]
        return result.assign(method="majority")
    if method == "weighted-majority":
        weighted, _ = weighted_majority(latest, labels=labels)
        return weighted
    if method == "glad":
        return GLAD().fit(latest, labels).labels_
    model = DawidSkene(one_coin=method == "one-coin").fit(latest, labels)
    return model.labels_
