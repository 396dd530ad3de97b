"""Agreement broken down: per label (one-vs-rest), per annotator, per pair of annotators, per item group."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from answerkey.quality.agreement._data import UndefinedAgreementWarning, long_frame, rating_counts
from answerkey.quality.agreement.chance import chance_corrected, observed_agreement
from answerkey.quality.agreement.krippendorff import alpha_from_counts
from answerkey.quality.agreement.pairwise import cohen_from_table, paired_judgements
from answerkey.quality.agreement.weights import agreement_weights

__all__ = ["BREAKDOWNS", "by_annotator", "by_group", "by_label", "pairwise_kappa"]

BREAKDOWNS = ("label", "annotator", "pairs")




def by_label(annotations: Any) -> pd.DataFrame:
    """For each label, Krippendorff's alpha of "this label or not" (one-vs-rest) and how often it is used."""
    frame = long_frame(annotations)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        for label in sorted(pd.unique(frame["label"]), key=str):
            binary = frame.assign(label=(frame["label"] == label).map({True: "yes", False: "no"}))
            data = rating_counts(binary)
            rows.append({"label": label, "judgements": int((frame["label"] == label).sum()),
                         "krippendorff_alpha": alpha_from_counts(data, "nominal"),
                         "percent_agreement": observed_agreement(data.counts, np.eye(len(data.categories)))})
    return pd.DataFrame(rows, columns=["label", "judgements", "krippendorff_alpha", "percent_agreement"])


def by_annotator(annotations: Any, reference: Mapping[Any, Any] | pd.Series | None = None) -> pd.DataFrame:
    """Each annotator's agreement with the others on shared items, and with a reference label per item.

    Without ``reference`` the reference is leave-one-out: the majority of the *other* annotators' labels, so
    an annotator is never compared with a consensus they voted in.
    """
    frame = long_frame(annotations).drop_duplicates(["item_id", "annotator_id"], keep="last")
    counts = frame.groupby(["item_id", "label"]).size().rename("votes").reset_index()
    rows = []
    for annotator, own in frame.groupby("annotator_id", sort=True):
        merged = own.merge(counts, on="item_id", suffixes=("", "_other"))
        merged["votes_other"] = merged["votes"] - (merged["label"] == merged["label_other"]).astype(int)
        per_item = merged.groupby("item_id")["votes_other"].sum()
        agreeing = merged[merged["label"] == merged["label_other"]].groupby("item_id")["votes_other"].sum()
        shared = per_item[per_item > 0]
        with_others = (float(agreeing.reindex(shared.index, fill_value=0).sum() / shared.sum()) if len(shared)
                       else np.nan)
        if reference is None:
            others = merged[merged["votes_other"] > 0]
            top = others.sort_values("votes_other", ascending=False).drop_duplicates("item_id")
            tied = others.groupby("item_id")["votes_other"].transform("max") == others["votes_other"]
            ties = others[tied].groupby("item_id").size()
            clear = top[top["item_id"].map(ties).fillna(1).eq(1)].set_index("item_id")["label_other"]
        else:
            clear = pd.Series(reference)
        mine = own.set_index("item_id")["label"]
        common = mine.index.intersection(clear.index)
        with_reference = float((mine.loc[common] == clear.loc[common]).mean()) if len(common) else np.nan
        rows.append({"annotator_id": annotator, "judgements": len(own), "items_shared": len(shared),
                     "agreement_with_others": with_others, "agreement_with_reference": with_reference,
                     "items_with_reference": len(common)})
    return pd.DataFrame(rows).sort_values("agreement_with_reference", kind="stable").reset_index(drop=True)


def pairwise_kappa(annotations: Any, min_shared: int = 10) -> pd.DataFrame:
    """Cohen's kappa for every pair of annotators sharing at least ``min_shared`` items (long format)."""
    frame = long_frame(annotations)
    annotators = sorted(pd.unique(frame["annotator_id"]), key=str)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        for a, b in combinations(annotators, 2):
            pairs = paired_judgements(frame, (a, b))
            shared = int(pairs.table.sum())
            if shared < min_shared:
                continue
            kappa = cohen_from_table(pairs.table, agreement_weights(None, pairs.values))
            rows.append({"annotator_a": a, "annotator_b": b, "items_shared": shared, "cohen_kappa": kappa})
    return pd.DataFrame(rows, columns=["annotator_a", "annotator_b", "items_shared", "cohen_kappa"])


def by_group(annotations: Any, groups: Mapping[Any, Any] | pd.Series, level: str = "nominal",
             order: Sequence[Any] | None = None) -> pd.DataFrame:
    """Agreement within each group of items (a segment, a month): alpha, Fleiss, AC1, percent agreement."""
    frame = long_frame(annotations)
    group_of = pd.Series(groups)
    frame = frame.assign(group=frame["item_id"].map(group_of)).dropna(subset=["group"])
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        for group, part in frame.groupby("group", sort=True):
            data = rating_counts(part, level=level, order=order)
            rows.append({"group": group, "items": len(data.items), "judgements": len(part),
                         "krippendorff_alpha": alpha_from_counts(data, level),
                         "fleiss_kappa": chance_corrected(data, "fleiss"),
                         "gwet_ac1": chance_corrected(data, "gwet"),
                         "percent_agreement": observed_agreement(data.counts, np.eye(len(data.categories)))})
    return pd.DataFrame(rows)
