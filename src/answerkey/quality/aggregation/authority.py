"""The declared policy by which adjudicated and expert labels outrank the crowd's consensus.

``authority`` is an ordered list of sources, strongest first (default ``adjudicated`` then ``expert``). An item
with a judgement from a listed source takes its label from the strongest such source instead of the crowd
model: among adjudications the latest decision wins (a decision replaces a decision); within any other source
the majority of its annotators' latest judgements wins, and a tie there falls through to the next source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from answerkey.quality.aggregation.majority import latest_per_annotator, majority_vote

__all__ = ["ADJUDICATED", "DEFAULT_AUTHORITY", "authority_labels", "overrule"]

ADJUDICATED = "adjudicated"
DEFAULT_AUTHORITY: tuple[str, ...] = (ADJUDICATED, "expert")


def authority_labels(judgements: pd.DataFrame, authority: Sequence[str]) -> pd.DataFrame:
    """Per item decided by a listed source: ``item_id``, ``label``, ``method`` (the source that decided).

    ``judgements`` needs a ``source`` column; rows of unlisted sources are ignored.
    """
    decided: list[pd.DataFrame] = []
    taken: set[object] = set()
    for source in authority:
        rows = judgements[(judgements["source"] == source) & ~judgements["item_id"].isin(taken)]
        if rows.empty:
            continue
        if source == ADJUDICATED:
            winners = _latest_decision(rows)
        else:
            votes = majority_vote(latest_per_annotator(rows))
            winners = votes.loc[votes["status"] == "agreed", ["item_id", "label"]]
        decided.append(winners.assign(method=source))
        taken.update(winners["item_id"])
    if not decided:
        return pd.DataFrame({"item_id": [], "label": [], "method": []}, dtype=object)
    return pd.concat(decided, ignore_index=True)


def _latest_decision(rows: pd.DataFrame) -> pd.DataFrame:
    """The latest adjudication of each item, whoever made it (ties: the one recorded last)."""
    frame = rows.assign(_order=rows["annotation_id"] if "annotation_id" in rows else np.arange(len(rows)))
    if "created_at" in frame:
        frame = frame.assign(_stamp=pd.to_datetime(frame["created_at"], utc=True))
        frame = frame.sort_values(["_stamp", "_order"], kind="stable", na_position="first")
    else:
        frame = frame.sort_values("_order", kind="stable")
    latest: pd.DataFrame = frame.drop_duplicates("item_id", keep="last")[["item_id", "label"]]
    return latest


def overrule(crowd: pd.DataFrame, decided: pd.DataFrame) -> pd.DataFrame:
    """``crowd`` consensus with the items ``decided`` by an authority replaced (label, confidence 1, agreed).

    Items only the authority judged are added. ``method`` says, per item, what decided it.
    """
    if decided.empty:
        return crowd
    keyed = crowd.set_index("item_id")
    override = decided.set_index("item_id")
    result = keyed.reindex(keyed.index.union(override.index, sort=False))
    # the crowd may have judged nothing yet (a new schema version whose first judgement is an adjudication):
    # its empty columns then have no type that text can be set into
    result = result.astype({c: object for c in ("label", "status", "method") if c in result})
    result.loc[override.index, "label"] = override["label"]
    result.loc[override.index, "confidence"] = 1.0
    result.loc[override.index, "status"] = "agreed"
    result.loc[override.index, "method"] = override["method"]
    result = result.reset_index()
    result["confidence"] = result["confidence"].astype(float)
    result["label"] = result["label"].astype(object).where(result["label"].notna(), None)
    order = np.argsort(result["item_id"].to_numpy(dtype=str), kind="stable")
    return result.iloc[order].reset_index(drop=True)
