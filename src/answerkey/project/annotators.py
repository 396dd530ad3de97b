"""Annotator profiles and annotation drift over a workspace's judgements."""

from __future__ import annotations

import pandas as pd

from answerkey.project.agreement import PEOPLE, workspace_judgements
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import latest_per_annotator
from answerkey.quality.annotators import AnnotatorProfiles, annotator_profiles
from answerkey.quality.drift import AnnotationDrift, annotation_drift, label_lineage
from answerkey.store import reads

__all__ = ["schema_version_shift", "workspace_annotators", "workspace_drift"]


def workspace_annotators(workspace: Workspace, schema_version: int | None = None) -> AnnotatorProfiles:
    """Profiles of the people who labelled under one schema version (default: the current one)."""
    judgements = workspace_judgements(workspace, schema_version, PEOPLE)
    return annotator_profiles(judgements)


def workspace_drift(workspace: Workspace, window: str = "month", alpha: float = 0.01) -> AnnotationDrift:
    """Drift of every person over all schema versions, labels compared through their ``replaces`` lineage."""
    with workspace.reading() as connection:
        schemas = reads.schemas(connection)
        frame = reads.annotations_frame(connection, exclude_sources=workspace.config.exclude_sources)
    people = frame[frame["source"].isin(PEOPLE)]
    lineage = label_lineage([schemas[v] for v in sorted(schemas)])
    return annotation_drift(people, window, lineage=lineage, alpha=alpha)


def schema_version_shift(workspace: Workspace) -> pd.DataFrame:
    """How schema version changes moved the labels: each lineage's share of the people's judgements under every
    version (a split label counts as the label it replaced), one row per lineage, one column per version."""
    with workspace.reading() as connection:
        schemas = reads.schemas(connection)
        frame = reads.annotations_frame(connection, exclude_sources=workspace.config.exclude_sources)
    people = latest_per_annotator(frame[frame["source"].isin(PEOPLE)])
    if people.empty:
        return pd.DataFrame()
    lineage = label_lineage([schemas[v] for v in sorted(schemas)])
    lineages = people["label"].map(lambda label: lineage.get(label, label))
    shares = pd.crosstab(lineages, people["schema_version"], normalize="columns")
    shares.index.name, shares.columns.name = "label", "schema_version"
    return shares
