"""Writing labels that no annotator typed (behavioural definitions, labeling functions) as ordinary annotations,
through the same validation as a file import, so the store holds them like any other judgement."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from answerkey.errors import ParameterError
from answerkey.io.tabular import Batch
from answerkey.io.validation import AnnotationContext, judgement_key, validate_annotations
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import latest_per_annotator
from answerkey.store import reads, writes
from answerkey.timestamps import timestamp_text

__all__ = ["append_derived_annotations", "changed_labels", "previous_labels", "withdraw_labels"]


def append_derived_annotations(workspace: Workspace, connection: Connection, frame: pd.DataFrame, what: str) -> int:
    """Append ``frame`` (``item_id``, ``annotator_id``, ``label``, ``created_at``, ``source``, ``note``) in the
    caller's transaction; ``what`` names the producer in errors. Returns how many were added (a judgement
    already stored is not added twice)."""
    if frame.empty:
        return 0
    schema = workspace.schema()
    writes.register_schema(connection, schema)
    known = pd.Index(sorted(reads.item_id_lookup(connection)))
    context = AnnotationContext(path=Path(f"<{what}>"),
                                item_positions=lambda ids: known.get_indexer(pd.Index(ids.to_numpy(dtype=object))),
                                schemas=reads.schemas(connection), default_version=schema.version,
                                default_source=str(frame["source"].iloc[0]))
    clean = validate_annotations(Batch(frame.reset_index(drop=True), 1), context)
    if context.total_problems:
        first = context.problems[0]
        raise ParameterError(f"{what}: {context.total_problems} label(s) refused, first at {first.column}: "
                             f"{first.found}; expected {first.expected}")
    return writes.append_annotations(connection, clean, None, writes.utcnow())


def changed_labels(standing: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` (``item_id``, ``annotator_id``, ``label``) whose label differs from the annotator's
    ``standing`` one (:func:`previous_labels`): deriving again writes only what is new."""
    if frame.empty or standing.empty:
        return frame
    last = standing.set_index(["item_id", "annotator_id"])["label"]
    said = pd.Series(last.reindex(pd.MultiIndex.from_frame(frame[["item_id", "annotator_id"]])).to_numpy(),
                     index=frame.index)
    return frame[said.isna() | (said != frame["label"])]


def withdraw_labels(workspace: Workspace, connection: Connection, previous: pd.DataFrame, note: str) -> int:
    """Record that each annotator of ``previous`` (``item_id``, ``annotator_id``, ``source``) no longer asserts a
    label on the item: one withdrawal row each (append-only; what it withdraws stays in the store). Every read of
    annotations then leaves both out, so consensus, agreement and releases stop counting the old label."""
    if previous.empty:
        return 0
    now = pd.Series(pd.Timestamp(writes.utcnow()), index=previous.index)
    created = timestamp_text(now)
    frame = pd.DataFrame({
        "item_id": previous["item_id"].astype(str).to_numpy(), "annotator_id": previous["annotator_id"].to_numpy(),
        "label": reads.WITHDRAWN, "source": previous["source"].to_numpy(),
        "schema_version": workspace.schema().version, "created_at": created, "confidence": None, "note": note})
    frame["judgement_key"] = [judgement_key(i, a, reads.WITHDRAWN, c) for i, a, c in
                              zip(frame["item_id"], frame["annotator_id"], frame["created_at"], strict=True)]
    return writes.append_annotations(connection, frame, None, writes.utcnow())


def previous_labels(connection: Connection, annotator_ids: set[str]) -> pd.DataFrame:
    """Each of these annotators' standing (latest, not withdrawn) label per item."""
    frame = reads.annotations_frame(connection)
    frame = frame[frame["annotator_id"].isin(annotator_ids)]
    return latest_per_annotator(frame) if len(frame) else frame
