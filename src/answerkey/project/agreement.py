"""Agreement over a workspace's annotations, or over any long-format file without a workspace."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from answerkey.errors import ImportValidationError, ParameterError, RowProblem
from answerkey.io.tabular import open_tabular
from answerkey.io.validation import check_columns
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import latest_per_annotator
from answerkey.quality.agreement import AgreementReport, agreement, by_annotator, by_group, by_label, pairwise_kappa
from answerkey.schema import TaskKind
from answerkey.store import reads

__all__ = [
    "BY",
    "PEOPLE",
    "breakdown",
    "default_level",
    "file_agreement",
    "read_judgements",
    "version_breakdown",
    "workspace_agreement",
    "workspace_groups",
    "workspace_judgements",
]


PEOPLE = ("human", "expert")
"""Sources whose agreement "inter-annotator agreement" means; rules and behaviour are measured against them."""


def workspace_judgements(
    workspace: Workspace, schema_version: int | None = None, sources: Sequence[str] = PEOPLE
) -> pd.DataFrame:
    """Each annotator's latest judgement per item under one schema version (default: the current one).

    Labels of different schema versions mean different things, so they are never pooled.
    """
    version = schema_version or workspace.schema().version
    frame = workspace.annotations()
    chosen = frame[(frame["schema_version"] == version) & frame["source"].isin(list(sources))]
    return latest_per_annotator(chosen)


def default_level(workspace: Workspace) -> str:
    """The measurement level agreement uses unless told: masi when the schema is multi-label (judgements are
    label sets), else nominal."""
    return "masi" if workspace.schema().task is TaskKind.MULTI_LABEL else "nominal"


def workspace_agreement(
    workspace: Workspace, level: str = "nominal", order: Sequence[Any] | None = None, *,
    schema_version: int | None = None, sources: Sequence[str] = PEOPLE, ci: float | None = None,
    n_boot: int = 1000, seed: int = 0,
) -> AgreementReport:
    """Agreement among the workspace's annotators (people, by default); ordinal order from the schema."""
    schema = workspace.schema()
    if order is None and level != "nominal" and schema.task is TaskKind.ORDINAL:
        order = schema.label_names
    judgements = workspace_judgements(workspace, schema_version, sources)
    return agreement(judgements, level, order, ci=ci, n_boot=n_boot, seed=seed)


def file_agreement(
    path: str | Path, level: str = "nominal", order: Sequence[Any] | None = None, *,
    ci: float | None = None, n_boot: int = 1000, seed: int = 0,
) -> AgreementReport:
    """Agreement of a long-format file (CSV, JSONL or Parquet with item_id, annotator_id, label)."""
    frame = read_judgements(path)
    if order is None and level != "nominal":
        numbers = pd.to_numeric(frame["label"], errors="coerce")
        if numbers.notna().all():
            frame["label"] = numbers
    return agreement(frame, level, order, ci=ci, n_boot=n_boot, seed=seed)


def read_judgements(path: str | Path) -> pd.DataFrame:
    """A long-format file (CSV, JSONL or Parquet with item_id, annotator_id, label) as text columns."""
    path = Path(path)
    tabular = open_tabular(path, as_strings=True)
    problems = check_columns(path, tabular.columns, ("item_id", "annotator_id", "label"), (), strict_known=False)
    if problems:
        raise ImportValidationError(problems, consequence="no agreement computed")
    frame = pd.concat([batch.frame for batch in tabular.batches()], ignore_index=True)
    if frame.empty:
        raise ImportValidationError([RowProblem(str(path), None, None, "no rows", "at least one judgement")],
                                    consequence="no agreement computed")
    return frame


BY = ("label", "annotator", "pairs", "segment", "month", "schema_version")


def version_breakdown(workspace: Workspace, sources: Sequence[str] = PEOPLE, level: str = "nominal",
                      order: Sequence[Any] | None = None) -> pd.DataFrame:
    """Agreement under each schema version, each over its own judgements (labels of different versions mean
    different things, so they are never pooled); ordinal orders come from each version's schema."""
    with workspace.reading() as connection:
        schemas = reads.schemas(connection)
    parts = []
    for version in sorted(schemas):
        judgements = workspace_judgements(workspace, version, sources)
        if judgements.empty:
            continue
        schema = schemas[version]
        version_order = order
        if version_order is None and level != "nominal" and schema.task is TaskKind.ORDINAL:
            version_order = schema.label_names
        groups = pd.Series(version, index=pd.unique(judgements["item_id"]))
        parts.append(by_group(judgements, groups, level, version_order))
    if not parts:
        return pd.DataFrame(columns=["group", "items", "judgements", "krippendorff_alpha", "fleiss_kappa",
                                     "gwet_ac1", "percent_agreement"])
    return pd.concat(parts, ignore_index=True)


def workspace_groups(workspace: Workspace, by: str) -> pd.Series:
    """Item id -> its segment, or the month it was created, from the workspace's items."""
    with workspace.reading() as connection:
        items = reads.items_frame(connection)
    if by == "segment":
        segments: pd.Series = items.set_index("item_id")["segment"].dropna()
        return segments
    stamps = items.set_index("item_id")["created_at"].dropna()
    months: pd.Series = stamps.dt.strftime("%Y-%m")
    return months


def breakdown(judgements: pd.DataFrame, by: str, groups: pd.Series | None = None, level: str = "nominal",
              order: Sequence[Any] | None = None) -> pd.DataFrame:
    """Agreement broken down ``by`` label, annotator, pairs of annotators, or item groups (segment, month)."""
    if by not in BY:
        raise ParameterError.invalid("by", f"one of {', '.join(BY)}", by)
    if by == "label":
        return by_label(judgements)
    if by == "annotator":
        return by_annotator(judgements)
    if by == "pairs":
        return pairwise_kappa(judgements)
    if groups is None:
        raise ParameterError.invalid("by", "label, annotator or pairs for a file (items have no segment or time)", by)
    return by_group(judgements, groups, level, order)
