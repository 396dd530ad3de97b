"""How good each source of labels is, measured against the trusted labels (adjudicated, else expert), and how
far what a derived source labels drifts from what people label.

Every annotator is a source of its kind (``human``, ``expert``, ``synthetic`` for a labeling function,
``behavioral`` for a definition, ``model``): its accuracy on the items with a trusted label, with a Wilson
interval and the number of items it rests on, overall and per segment, and its confusion (trusted label ->
its label). An annotator is never scored against a trusted label it decided itself (an expert who alone
decided an item is not graded on it), nor against one made under another schema version.

The distribution gap compares a source's labels with the people's (``human``, ``expert``, ``adjudicated``)
over all the items each labelled under the latest schema version: class balance (total variation distance and
Jensen-Shannon distance, base 2, between the label shares) and coverage (the same between the segment shares
of the items labelled), so that "synthetic labels are skewed" or "behavioural labels only exist for one
segment" is a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from answerkey.errors import ParameterError
from answerkey.intervals import wilson_interval
from answerkey.jsonable import records
from answerkey.quality.aggregation import authority_labels, latest_per_annotator

__all__ = ["ACCURACY_COLUMNS", "GAP_COLUMNS", "PEOPLE", "TRUSTED", "SourceQuality", "source_quality",
           "trusted_with_deciders"]

TRUSTED = ("adjudicated", "expert")
"""Sources whose labels are the truth others are measured against, strongest first."""
PEOPLE = ("human", "expert", "adjudicated")
"""Sources whose label distribution a derived source is compared with."""
ACCURACY_COLUMNS = ["source", "annotator_id", "segment", "n_labelled", "n_trusted", "correct", "accuracy",
                    "accuracy_low", "accuracy_high", "confusion"]
GAP_COLUMNS = ["source", "annotator_id", "n_labelled", "label_tvd", "label_js", "segment_tvd", "segment_js",
               "label_shares", "people_label_shares"]


@dataclass(frozen=True)
class SourceQuality:
    """Accuracy per source (and segment) against trusted labels, and the distribution gap to people's labels."""

    accuracy: pd.DataFrame
    gaps: pd.DataFrame
    n_trusted_items: int

    def to_dict(self) -> dict[str, Any]:
        return {"n_trusted_items": self.n_trusted_items, "accuracy": records(self.accuracy),
                "gaps": records(self.gaps)}


def trusted_with_deciders(latest: pd.DataFrame, trusted: Sequence[str] = TRUSTED) -> pd.DataFrame:
    """Per item, the trusted label (:func:`~answerkey.quality.aggregation.authority_labels`: the latest
    adjudication, else the experts' majority, nothing on a tie) and who decided it (``deciders``)."""
    decided = authority_labels(latest, trusted) if len(latest) else pd.DataFrame()
    if decided.empty:
        return pd.DataFrame({"item_id": [], "label": [], "deciders": []})
    backing = latest[["item_id", "annotator_id", "label", "source"]].merge(
        decided.rename(columns={"method": "source"}), on=["item_id", "label", "source"])
    deciders = backing.groupby("item_id")["annotator_id"].agg(frozenset)
    return decided[["item_id", "label"]].assign(deciders=decided["item_id"].map(deciders)).reset_index(drop=True)


def source_quality(annotations: pd.DataFrame, *, segments: pd.Series | None = None, confidence: float = 0.95,
                   trusted: Sequence[str] = TRUSTED, people: Sequence[str] = PEOPLE) -> SourceQuality:
    """Accuracy of every annotator against the trusted labels, and each source's gap to people's labels.

    ``annotations`` needs ``item_id``, ``annotator_id``, ``label`` and ``source`` (``created_at`` orders an
    annotator's corrections); ``segments`` maps item id to segment (accuracy is then also given per segment).
    """
    for column in ("item_id", "annotator_id", "label", "source"):
        if column not in annotations.columns:
            raise ParameterError.invalid("annotations", f"a frame with a {column!r} column", list(annotations.columns))
    if not 0 < confidence < 1:
        raise ParameterError.invalid("confidence", "a number between 0 and 1", confidence)
    latest = latest_per_annotator(annotations).reset_index(drop=True)
    if latest.empty:
        return SourceQuality(pd.DataFrame(columns=ACCURACY_COLUMNS), pd.DataFrame(columns=GAP_COLUMNS), 0)
    # labels made under different schema versions do not compare (v1 "billing" is not v2 "billing_refund")
    versions = latest["schema_version"] if "schema_version" in latest else pd.Series(0, index=latest.index)
    latest = latest.assign(_version=versions.to_numpy())
    truth = pd.concat([trusted_with_deciders(part, trusted).assign(_version=version)
                       for version, part in latest.groupby("_version")], ignore_index=True)
    truth["item_id"] = truth["item_id"].astype(latest["item_id"].dtype)
    if segments is not None:
        latest = latest.assign(segment=latest["item_id"].map(segments).fillna("(none)").astype(str))
    scored = latest.merge(truth.rename(columns={"label": "truth"}), on=["item_id", "_version"], how="left")
    own = [a in d if isinstance(d, frozenset) else False for a, d in zip(scored["annotator_id"], scored["deciders"],
                                                                          strict=True)]
    scored["graded"] = scored["truth"].notna() & ~np.asarray(own, dtype=bool)
    rows = [_accuracy_row(part, "all", confidence) for _, part in scored.groupby(["source", "annotator_id"])]
    if segments is not None:
        rows += [_accuracy_row(part, str(segment), confidence)
                 for (_, _, segment), part in scored.groupby(["source", "annotator_id", "segment"])]
    accuracy = pd.DataFrame(rows, columns=ACCURACY_COLUMNS)
    if len(accuracy):
        low, high = wilson_interval(accuracy["correct"].to_numpy(), accuracy["n_trusted"].to_numpy(), confidence)
        accuracy["accuracy_low"], accuracy["accuracy_high"] = low, high
    accuracy = accuracy.sort_values(["source", "annotator_id", "segment"], key=_all_first, ignore_index=True)
    current = latest[latest["_version"] == latest["_version"].max()]  # label names differ across versions
    return SourceQuality(accuracy, _gaps(current, people, segments is not None), len(truth))


def _all_first(column: pd.Series) -> pd.Series:
    return column.map(lambda v: (0, "") if v == "all" else (1, str(v))) if column.name == "segment" else column


def _accuracy_row(part: pd.DataFrame, segment: str, confidence: float) -> dict[str, Any]:
    graded = part[part["graded"]]
    correct = int((graded["label"] == graded["truth"]).sum())
    confusion: dict[str, dict[str, int]] = {}
    pairs = graded.groupby(["truth", "label"]).size()
    for key, n in pairs.items():
        truth, given = key if isinstance(key, tuple) else (key, key)
        confusion.setdefault(str(truth), {})[str(given)] = int(n)
    n = len(graded)
    return {"source": str(part["source"].iloc[0]), "annotator_id": str(part["annotator_id"].iloc[0]),
            "segment": segment, "n_labelled": len(part), "n_trusted": n, "correct": correct,
            "accuracy": correct / n if n else float("nan"), "accuracy_low": float("nan"),
            "accuracy_high": float("nan"), "confusion": confusion}


def _gaps(latest: pd.DataFrame, people: Sequence[str], with_segments: bool) -> pd.DataFrame:
    """Each non-people annotator's label and segment shares against the people's, over what each labelled."""
    human = latest[latest["source"].isin(people)]
    rows = []
    for (source, annotator), part in latest[~latest["source"].isin(people)].groupby(["source", "annotator_id"]):
        labels = sorted(set(part["label"]) | set(human["label"]), key=str)
        mine = part["label"].value_counts().reindex(labels, fill_value=0).to_numpy(float)
        theirs = human["label"].value_counts().reindex(labels, fill_value=0).to_numpy(float)
        row: dict[str, Any] = {"source": str(source), "annotator_id": str(annotator), "n_labelled": len(part),
                               "label_tvd": _tvd(mine, theirs), "label_js": _js(mine, theirs),
                               "segment_tvd": float("nan"), "segment_js": float("nan"),
                               "label_shares": _shares(labels, mine), "people_label_shares": _shares(labels, theirs)}
        if with_segments:
            values = sorted(set(part["segment"]) | set(human["segment"]), key=str)
            seg_mine = part["segment"].value_counts().reindex(values, fill_value=0).to_numpy(float)
            seg_theirs = human["segment"].value_counts().reindex(values, fill_value=0).to_numpy(float)
            row["segment_tvd"], row["segment_js"] = _tvd(seg_mine, seg_theirs), _js(seg_mine, seg_theirs)
        rows.append(row)
    return pd.DataFrame(rows, columns=GAP_COLUMNS)


def _tvd(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance between two count vectors' shares (NaN when either is empty)."""
    if a.sum() == 0 or b.sum() == 0:
        return float("nan")
    return float(np.abs(a / a.sum() - b / b.sum()).sum() / 2)


def _js(a: np.ndarray, b: np.ndarray) -> float:
    if a.sum() == 0 or b.sum() == 0:
        return float("nan")
    return float(jensenshannon(b / b.sum(), a / a.sum(), base=2))


def _shares(labels: list[Any], counts: np.ndarray) -> dict[str, float]:
    total = counts.sum()
    return {str(label): (float(c / total) if total else 0.0) for label, c in zip(labels, counts, strict=True)}
