"""Source quality and feedback loops in a workspace: every annotator, rule, behavioural definition and model
against the trusted labels, and whether the labels were shaped by the model's own decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from answerkey.errors import ParameterError
from answerkey.project.workspace import Workspace
from answerkey.quality.feedback_loop import FeedbackReport, feedback_check
from answerkey.quality.source_quality import TRUSTED, SourceQuality, source_quality
from answerkey.store import reads

__all__ = ["read_predictions", "workspace_feedback_check", "workspace_source_quality"]


def _annotations_and_segments(workspace: Workspace) -> tuple[pd.DataFrame, pd.Series]:
    with workspace.reading() as connection:
        annotations = reads.annotations_frame(connection)
        items = reads.items_frame(connection)
    segments = pd.Series(items["segment"].to_numpy(dtype=object), index=items["item_id"].astype(str).to_numpy())
    return annotations, segments


def workspace_source_quality(workspace: Workspace, *, by_segment: bool = True) -> SourceQuality:
    """Every annotator of the workspace against its adjudicated and expert labels (per segment too)."""
    annotations, segments = _annotations_and_segments(workspace)
    return source_quality(annotations, segments=segments if by_segment and segments.notna().any() else None)


def read_predictions(path: str | Path) -> pd.DataFrame:
    """A prediction log from Parquet or CSV (``item_id`` and the decision, ``predicted_at`` when deployed)."""
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"{path}: no such predictions file")
    frame = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
    if "item_id" in frame:
        frame["item_id"] = frame["item_id"].astype(str)
    return frame


def workspace_feedback_check(workspace: Workspace, predictions: pd.DataFrame, **options: Any) -> FeedbackReport:
    """:func:`~answerkey.quality.feedback_loop.feedback_check` of ``predictions`` against the workspace's labels
    under its latest schema version, the adjudicated and expert ones trusted when there are any."""
    annotations, _ = _annotations_and_segments(workspace)
    if len(annotations):  # compare under the current schema: older versions name labels differently
        annotations = annotations[annotations["schema_version"] == annotations["schema_version"].max()]
    present = [s for s in TRUSTED if s in set(annotations["source"])]
    options.setdefault("trusted", present or None)
    return feedback_check(predictions, annotations, **options)
