"""Each annotator at a glance: volume, agreement with the consensus and with the others, estimated confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.quality.aggregation._encoding import encode_judgements
from answerkey.quality.aggregation.dawid_skene import DawidSkene
from answerkey.quality.aggregation.majority import latest_per_annotator
from answerkey.quality.aggregation.weighted import leave_one_out_agreement
from answerkey.quality.agreement._data import long_frame

__all__ = ["AnnotatorProfiles", "annotator_profiles"]

MIN_CONFUSION_SUPPORT = 10.0
"""A confusion is reported only for true classes the annotator judged about this many times (estimated)."""


@dataclass(frozen=True)
class AnnotatorProfiles:
    """One row per annotator, best estimated accuracy first, and each annotator's confusion matrix."""

    table: pd.DataFrame
    confusions: dict[Any, pd.DataFrame]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the rows, and each confusion matrix as ``{true: {given: rate}}``."""
        rows = self.table.replace({np.nan: None}).to_dict(orient="records")
        return {"annotators": rows,
                "confusions": {str(a): m.round(4).to_dict(orient="index") for a, m in self.confusions.items()}}


def annotator_profiles(annotations: Any, labels: Sequence[Any] | None = None) -> AnnotatorProfiles:
    """Profiles from long-format judgements (each annotator's latest per item is used).

    Columns: ``annotator_id``, ``judgements``, ``items``, ``agreement_with_consensus`` (share of their labels
    equal to the Dawid-Skene consensus), ``agreement_with_others`` (with the majority of the other judgements,
    their own vote left out), ``estimated_accuracy`` (Dawid-Skene), ``top_confusion`` (the true label they most
    often give another label for, as ``true -> given``) and ``top_confusion_rate``. Ordered by estimated
    accuracy, best first, so the annotator to look at is last.
    """
    frame = latest_per_annotator(long_frame(annotations))
    model = DawidSkene().fit(frame, labels)
    consensus = model.labels_.set_index("item_id")["label"]
    agrees = (frame["label"].to_numpy() == consensus.reindex(frame["item_id"]).to_numpy())
    grouped = frame.assign(_agree=agrees).groupby("annotator_id", sort=True)
    table = pd.DataFrame({
        "judgements": grouped.size(),
        "items": grouped["item_id"].nunique(),
        "agreement_with_consensus": grouped["_agree"].mean(),
    })
    data = encode_judgements(frame, labels)
    agrees, usable = leave_one_out_agreement(data)
    hits = np.bincount(data.annotator, weights=agrees.astype(float), minlength=len(data.annotators))
    trials = np.bincount(data.annotator, weights=usable.astype(float), minlength=len(data.annotators))
    with np.errstate(invalid="ignore", divide="ignore"):
        others = pd.Series(np.where(trials > 0, hits / trials, np.nan), index=data.annotators)
    table["agreement_with_others"] = others.reindex(table.index)
    table["estimated_accuracy"] = model.accuracies_.reindex(table.index)
    confusions: dict[Any, pd.DataFrame] = {}
    tops: list[tuple[str | None, float]] = []
    names = list(model.priors_.index)
    for position, annotator in enumerate(model.annotators_):
        matrix = pd.DataFrame(model.confusions_[position], index=pd.Index(names, name="true"),
                              columns=pd.Index(names, name="given"))
        confusions[annotator] = matrix
        support = model.priors_.to_numpy() * float(table.loc[annotator, "judgements"])
        off = matrix.to_numpy().copy()
        np.fill_diagonal(off, 0.0)
        off[support < MIN_CONFUSION_SUPPORT] = 0.0
        true, given = np.unravel_index(int(off.argmax()), off.shape)
        rate = float(off[true, given])
        tops.append((f"{names[true]} -> {names[given]}" if rate > 0 else None, rate))
    table["top_confusion"] = [top for top, _ in tops]
    table["top_confusion_rate"] = [rate for _, rate in tops]
    table = table.sort_values(["estimated_accuracy", "judgements"], ascending=[False, False], kind="stable")
    return AnnotatorProfiles(table.reset_index(names="annotator_id"), confusions)
