"""Majority vote over each annotator's latest judgement: the ground-truth label of the foundation."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["STATUSES", "latest_per_annotator", "majority_vote"]

STATUSES = ("agreed", "disputed", "outdated", "unlabeled")
"""agreed: one label has the most votes; disputed: a tie at the top (never broken silently);
outdated: the winning label is not in the release's schema version; unlabeled: no judgement."""


def latest_per_annotator(annotations: pd.DataFrame) -> pd.DataFrame:
    """Each annotator's latest judgement per item: a correction replaces what it corrects.

    "Latest" is the greatest ``created_at``; a judgement without a time counts as older than one with a time,
    and ties are broken by recording order (``annotation_id``, else row order).
    """
    if annotations.empty:
        return annotations.copy()
    frame = annotations.copy()
    order_column = "annotation_id" if "annotation_id" in frame else None
    frame["_order"] = frame[order_column].to_numpy() if order_column else np.arange(len(frame))
    if "created_at" in frame:
        # NaT is the smallest int64, so a judgement without a time sorts as the oldest
        instants = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None)
        frame["_stamp"] = instants.to_numpy(dtype="datetime64[ns]").view("int64")
    else:
        frame["_stamp"] = 0
    frame = frame.sort_values(["_stamp", "_order"], kind="stable")
    latest = frame.drop_duplicates(["item_id", "annotator_id"], keep="last")
    return latest.drop(columns=["_order", "_stamp"]).sort_values("item_id", kind="stable")


def majority_vote(
    annotations: pd.DataFrame, *, valid_labels: Iterable[str] | None = None, item_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Ground-truth labels by majority of the latest judgement per annotator.

    Parameters
    ----------
    annotations : DataFrame
        Long format: ``item_id``, ``annotator_id``, ``label`` (and optionally ``created_at``, ``annotation_id``).
    valid_labels : iterable of str, optional
        Labels of the schema version the result is for; a winning label outside it is ``outdated``.
    item_ids : iterable of str, optional
        The full item set; items without a judgement come out ``unlabeled``.

    Returns
    -------
    DataFrame
        ``item_id``, ``label`` (None when disputed or unlabeled), ``confidence`` (share of votes for the label),
        ``status`` and ``n_judgements``, ordered by ``item_id``.
    """
    latest = latest_per_annotator(annotations)
    if latest.empty:
        votes = pd.DataFrame(columns=["item_id", "label", "votes"])
    else:
        votes = latest.groupby(["item_id", "label"], sort=False).size().rename("votes").reset_index()
    totals = votes.groupby("item_id")["votes"].sum().rename("n_judgements")
    top = votes.groupby("item_id")["votes"].transform("max") if len(votes) else votes["votes"]
    winners = votes[votes["votes"] == top]
    n_winners = winners.groupby("item_id")["label"].transform("size")
    winners = winners.assign(tied=n_winners.to_numpy() > 1).drop_duplicates("item_id")
    result = winners.set_index("item_id").join(totals)
    result["confidence"] = result["votes"] / result["n_judgements"]
    result["status"] = np.where(result["tied"], "disputed", "agreed")
    result.loc[result["tied"], "label"] = None
    if valid_labels is not None:
        valid = set(valid_labels)
        outdated = (~result["tied"]) & ~result["label"].isin(valid)
        result.loc[outdated, "status"] = "outdated"
    result = result.reset_index()[["item_id", "label", "confidence", "status", "n_judgements"]]
    if item_ids is not None:
        missing = sorted(set(item_ids) - set(result["item_id"]))
        if missing:
            empty = pd.DataFrame(
                {"item_id": missing, "label": None, "confidence": np.nan, "status": "unlabeled", "n_judgements": 0}
            )
            result = pd.concat([result, empty], ignore_index=True) if len(result) else empty
    result["n_judgements"] = result["n_judgements"].astype("int64")
    result["confidence"] = result["confidence"].astype(float)
    result["label"] = result["label"].astype(object).where(result["label"].notna(), None)
    order = np.argsort(result["item_id"].to_numpy(dtype=str), kind="stable")
    return result.iloc[order].reset_index(drop=True)
