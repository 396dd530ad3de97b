"""``answerkey staleness``: the age of the workspace's ground truth by segment and label, against its cadence."""

from __future__ import annotations

import pandas as pd

from answerkey.monitoring.staleness import StalenessReport, label_staleness
from answerkey.project.consensus import GROUND_TRUTH_SOURCES
from answerkey.project.workspace import Workspace
from answerkey.store import reads

__all__ = ["workspace_staleness"]


def workspace_staleness(workspace: Workspace, as_of: pd.Timestamp | str | None = None) -> StalenessReport:
    """Each labeled item's latest ground-truth judgement (its label, when, under which schema version) and
    segment, against ``[staleness]`` in ``answerkey.toml``."""
    with workspace.reading() as connection:
        annotations = reads.annotations_frame(connection, exclude_sources=workspace.config.exclude_sources)
        items = reads.items_frame(connection)
    # judgements without a time cannot have an age; they are left out
    judged = annotations[annotations["source"].isin(list(GROUND_TRUTH_SOURCES)) & annotations["created_at"].notna()]
    latest = judged.sort_values(["item_id", "created_at", "annotation_id"], kind="stable").groupby("item_id").tail(1)
    labels = latest[["item_id", "label", "created_at", "schema_version"]].rename(columns={"created_at": "labeled_at"})
    labels = labels.merge(items[["item_id", "segment"]], on="item_id", how="left")
    return label_staleness(labels, as_of=as_of, review_every_days=workspace.config.review_every_days,
                           segment_days=dict(workspace.config.segment_review_days),
                           current_version=workspace.schema().version)
