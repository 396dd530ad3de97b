"""``split check``: contamination across a release's splits, on the columns its items carry, plus the seal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity
from answerkey.project.findings_log import record_findings
from answerkey.project.splits import RESERVED, get_split, release_items, verify_seal
from answerkey.project.workspace import Workspace
from answerkey.splits.contamination import contamination_findings, contamination_pairs, summary

__all__ = ["SplitCheck", "check_split", "detect_columns"]

TEXT_MIN_WORDS = 3.0
"""A string column is text (checked for near duplicates) when its values average at least this many words."""


def detect_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The payload's text columns (strings of several words) and numeric columns, in column order."""
    skip = {*RESERVED, *exclude}
    text, numeric = [], []
    for column in frame.columns:
        if column in skip:
            continue
        values = frame[column].dropna()
        if values.empty:
            continue
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            numeric.append(str(column))
        elif values.map(lambda v: isinstance(v, str)).all() and \
                values.map(lambda v: len(v.split())).mean() >= TEXT_MIN_WORDS:
            text.append(str(column))
    return text, numeric


@dataclass(frozen=True)
class SplitCheck:
    """The pairs found per tier, the columns checked, and the seal's state."""

    release: str
    version: int
    pairs: pd.DataFrame
    counts: dict[str, int]
    columns: dict[str, Any]
    seal_findings: list[Finding]

    def findings(self, limit_per_tier: int | None = None) -> list[Finding]:
        """Every pair as a finding (at most ``limit_per_tier`` of each tier), then the seal's."""
        return contamination_findings(self.pairs, limit_per_tier=limit_per_tier) + self.seal_findings

    def summary_finding(self) -> Finding:
        """One finding with the number of pairs in each tier (what the report's table shows)."""
        total = sum(self.counts.values())
        return Finding("contamination.summary", f"{total:,} contaminated pairs across splits",
                       f"release {self.release}, split v{self.version}",
                       Severity.WARNING if total else Severity.INFO, float(total),
                       {"counts": self.counts, "columns": self.columns})

    def record(self, workspace: Workspace, per_tier: int = 50) -> str:
        """Keep the summary and the first ``per_tier`` findings of each tier in the store."""
        return record_findings(workspace, [self.summary_finding(), *self.findings(limit_per_tier=per_tier)],
                               f"contamination {self.release}", self.release)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: counts, columns and every finding."""
        return {"release": self.release, "split_version": self.version, "counts": self.counts,
                "columns": self.columns, "findings": [f.to_dict() for f in self.findings()]}


def check_split(
    workspace: Workspace, release: str, *, threshold: float = 0.8, text_columns: Sequence[str] | None = None,
    numeric_columns: Sequence[str] | None = None,
) -> SplitCheck:
    """Check the release's latest split for contamination in every tier, and its seal when sealed.

    The group tier uses the split's group column (``group:COLUMN``) or the items' ``group_id``; the temporal
    tier runs on a time split, with its time column.
    """
    split = get_split(workspace, release)
    items = release_items(workspace, release)
    frame = items.merge(split.assignments, on="item_id", how="inner")
    strategy, _, column = split.strategy.partition(":")
    group = column if strategy == "group" else ("group_id" if frame["group_id"].notna().any() else None)
    time = column if strategy == "time" else None
    detected_text, detected_numeric = detect_columns(frame, exclude=[c for c in (group, time) if c])
    text = list(text_columns) if text_columns else detected_text
    numeric = list(numeric_columns) if numeric_columns else detected_numeric
    for name, chosen in (("--text", text), ("--numeric", numeric)):
        unknown = [c for c in chosen if c not in frame.columns]
        if unknown:
            raise ParameterError.invalid(name, f"columns of the items ({', '.join(map(str, frame.columns))})",
                                         unknown)
    inputs = frame.drop(columns=["payload", "status"])
    # only labels of the release's schema can conflict; an outdated label names a class that no longer exists
    inputs["label"] = inputs["label"].where(frame["status"].eq("agreed"), None)
    if time:
        inputs[time] = pd.to_datetime(inputs[time], errors="coerce", utc=True)
    pairs = contamination_pairs(inputs, split="split", item_id="item_id", text_columns=text,
                                numeric_columns=numeric, group=group, time=time, label="label",
                                threshold=threshold)
    columns = {"text": text, "numeric": numeric, "group": group, "time": time}
    return SplitCheck(release, split.version, pairs, summary(pairs), columns,
                      verify_seal(workspace, release, split, items))
