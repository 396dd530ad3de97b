"""Source quality and feedback loops in a workspace: every annotator, rule, behavioural definition and model
against the trusted labels, and whether the labels were shaped by the model's own decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from answerkey.errors import ParameterError
from answerkey.project.workspace import Workspace
from answerkey.quality.feedback_loop import FeedbackReport, feedback_check
from answerkey.quality.source_quality import PEOPLE, TRUSTED, SourceQuality, source_quality
from answerkey.store import reads

__all__ = ["FEATURE_GAP_COLUMNS", "feature_gaps", "read_predictions", "workspace_feedback_check",
           "workspace_source_quality", "workspace_sources"]


def _read(workspace: Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The workspace's annotations and items, read once for every measure of this module."""
    with workspace.reading() as connection:
        return reads.annotations_frame(connection), reads.items_frame(connection)


FEATURE_GAP_COLUMNS = ["source", "annotator_id", "feature", "method", "effect_size", "threshold", "p_value",
                       "drifted", "n_source", "n_people"]


def _features(items: pd.DataFrame) -> pd.DataFrame:
    """Numeric payload fields, and the length in characters of each text field, per item."""
    payload = pd.DataFrame(list(items["payload"]), index=items["item_id"].astype(str).to_numpy())
    columns: dict[str, pd.Series] = {}
    for name in payload.columns:
        values = payload[name]
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() and numbers.notna().sum() == values.notna().sum():
            columns[str(name)] = numbers.astype(float)
        elif values.map(lambda v: isinstance(v, str)).any():
            columns[f"{name}_length"] = values.map(lambda v: float(len(v)) if isinstance(v, str) else None)
    return pd.DataFrame(columns, index=payload.index)


def feature_gaps(workspace: Workspace, people: tuple[str, ...] = PEOPLE) -> pd.DataFrame:
    """:func:`_feature_gaps` of the workspace's annotations and items."""
    return _feature_gaps(*_read(workspace), people)


def _feature_gaps(annotations: pd.DataFrame, items: pd.DataFrame, people: tuple[str, ...] = PEOPLE) -> pd.DataFrame:
    """Per derived source (not people) and item feature: drift from the items people labelled to the items the
    source labelled (:func:`~answerkey.monitoring.drift.column_drift`: effect size and test), so that "the rule
    only fires on short tickets" is measured, not guessed."""
    import ibis

    from answerkey.monitoring.drift import column_drift

    features = _features(items) if len(items) else pd.DataFrame()
    if features.empty or features.shape[1] == 0 or annotations.empty:
        return pd.DataFrame(columns=FEATURE_GAP_COLUMNS)
    labelled = annotations[["item_id", "annotator_id", "source"]].drop_duplicates()
    human = features.loc[features.index.isin(set(labelled.loc[labelled["source"].isin(people), "item_id"]))]
    rows = []
    derived = labelled[~labelled["source"].isin(people)]
    for (source, annotator), part in derived.groupby(["source", "annotator_id"]):
        mine = features.loc[features.index.isin(set(part["item_id"]))]
        if mine.empty or human.empty:
            continue
        result = column_drift(ibis.memtable(human.reset_index(drop=True)), ibis.memtable(mine.reset_index(drop=True)))
        for row in result.itertuples(index=False):
            rows.append({"source": source, "annotator_id": annotator, "feature": row.column, "method": row.method,
                         "effect_size": row.effect_size, "threshold": row.threshold, "p_value": row.p_value,
                         "drifted": bool(row.drifted), "n_source": len(mine), "n_people": len(human)})
    return pd.DataFrame(rows, columns=FEATURE_GAP_COLUMNS)


def workspace_source_quality(workspace: Workspace) -> SourceQuality:
    """Every annotator of the workspace against its adjudicated and expert labels (per segment too)."""
    return _quality(*_read(workspace))


def workspace_sources(workspace: Workspace) -> tuple[SourceQuality, pd.DataFrame]:
    """Source quality and the feature gaps of derived sources, from one read of the store."""
    annotations, items = _read(workspace)
    return _quality(annotations, items), _feature_gaps(annotations, items)


def _quality(annotations: pd.DataFrame, items: pd.DataFrame) -> SourceQuality:
    segments = pd.Series(items["segment"].to_numpy(dtype=object), index=items["item_id"].astype(str).to_numpy())
    return source_quality(annotations, segments=segments if segments.notna().any() else None)


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
    with workspace.reading() as connection:
        annotations = reads.annotations_frame(connection)
    if len(annotations):  # compare under the current schema: older versions name labels differently
        annotations = annotations[annotations["schema_version"] == annotations["schema_version"].max()]
    present = [s for s in TRUSTED if s in set(annotations["source"])]
    options.setdefault("trusted", present or None)
    return feedback_check(predictions, annotations, **options)
