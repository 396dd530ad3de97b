"""Stale ground truth: how old the labels are by segment and label, under which schema version, against a
review cadence. A label nobody has looked at since the world changed is an answer key that may have expired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity

__all__ = ["OVERDUE_SHARE", "StalenessReport", "label_staleness"]

OVERDUE_SHARE = 0.2
"""Share of a segment's labels past their review date from which the segment is reported as overdue."""


@dataclass(frozen=True)
class StalenessReport:
    """Label age per segment and label, and the findings for what is overdue or made under an old schema."""

    table: pd.DataFrame
    findings: list[Finding]
    as_of: pd.Timestamp


def label_staleness(
    labels: pd.DataFrame, *, as_of: pd.Timestamp | str | None = None, review_every_days: int = 180,
    segment_days: Mapping[str, int] | None = None, current_version: int | None = None,
    overdue_share: float = OVERDUE_SHARE,
) -> StalenessReport:
    """Age of each segment's and label's ground truth, against the review cadence.

    ``labels`` has ``item_id``, ``label``, ``segment`` (may be missing), ``labeled_at`` (the last judgement that
    supports the label) and ``schema_version``. ``segment_days`` overrides the cadence per segment. The table
    has one row per segment and label: ``items``, ``median_age_days``, ``p90_age_days``, ``oldest``,
    ``cadence_days``, ``overdue`` (labels past their review date), ``overdue_share`` and
    ``old_schema`` (labels made under an older schema version than ``current_version``).
    """
    required = {"item_id", "label", "labeled_at", "schema_version"}
    if not required <= set(labels.columns):
        raise ParameterError.invalid("labels", f"columns {', '.join(sorted(required))}", list(labels.columns))
    if review_every_days < 1:
        raise ParameterError.invalid("review_every_days", "a positive number of days", review_every_days)
    stamp = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.now(tz="UTC")
    stamp = stamp.tz_convert(None) if stamp.tzinfo is not None else stamp
    frame = labels.copy()
    frame["segment"] = frame["segment"].fillna("(none)") if "segment" in frame else "(none)"
    frame["labeled_at"] = pd.to_datetime(frame["labeled_at"], utc=True).dt.tz_convert(None)
    frame["age_days"] = (stamp - frame["labeled_at"]).dt.total_seconds() / 86_400.0
    cadence = frame["segment"].map(dict(segment_days or {})).fillna(review_every_days).astype(float)
    frame["cadence_days"] = cadence
    frame["is_overdue"] = frame["age_days"] > cadence
    newest = current_version if current_version is not None else int(frame["schema_version"].max())
    frame["is_old_schema"] = frame["schema_version"] < newest
    table = frame.groupby(["segment", "label"], sort=True).agg(
        items=("item_id", "size"), median_age_days=("age_days", "median"),
        p90_age_days=("age_days", lambda a: float(np.quantile(a, 0.9))), oldest=("labeled_at", "min"),
        cadence_days=("cadence_days", "first"), overdue=("is_overdue", "sum"),
        old_schema=("is_old_schema", "sum")).reset_index()
    table["overdue_share"] = table["overdue"] / table["items"]
    findings = []
    for segment, part in frame.groupby("segment", sort=True):
        share = float(part["is_overdue"].mean())
        if share >= overdue_share:
            worst = part[part["is_overdue"]].groupby("label").size().sort_values(ascending=False)
            findings.append(Finding(
                "staleness.overdue",
                f"{share:.0%} of the {len(part):,} labels in segment {segment} are older than its review cadence "
                f"of {int(part['cadence_days'].iloc[0])} days (median age {part['age_days'].median():.0f} days); "
                f"re-review a sample, starting with {', '.join(map(str, worst.index[:3]))}, before training or "
                "evaluating on them",
                f"segment {segment}", Severity.WARNING, share,
                {"items": len(part), "overdue": int(part["is_overdue"].sum()),
                 "cadence_days": int(part["cadence_days"].iloc[0]),
                 "overdue_by_label": {str(k): int(v) for k, v in worst.items()}}))
    old = frame[frame["is_old_schema"]]
    if len(old):
        findings.append(Finding(
            "staleness.old_schema",
            f"{len(old):,} labels were last judged under an older schema version than v{newest}; their meaning may "
            "have changed (a split or redefined label): relabel them under the current schema",
            "schema", Severity.WARNING, float(len(old) / len(frame)),
            {"items": len(old), "by_version": {str(k): int(v) for k, v in
                                               old.groupby("schema_version").size().items()}}))
    return StalenessReport(table, findings, stamp)
