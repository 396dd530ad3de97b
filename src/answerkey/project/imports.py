"""Imports: items, long-format annotations and Label Studio exports, each one transaction.

A file with any bad row writes nothing; the error lists the first problems as file:row:column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.io.labelstudio import read_label_studio
from answerkey.io.tabular import Batch, open_tabular
from answerkey.io.validation import (
    ANNOTATION_COLUMNS,
    ANNOTATION_REQUIRED,
    ITEM_COLUMNS,
    AnnotationContext,
    check_columns,
    jsonable,
    validate_annotations,
    validate_items,
)
from answerkey.project.items import split_existing_items
from answerkey.project.workspace import Workspace
from answerkey.store import reads, writes

__all__ = ["ImportResult", "import_annotations", "import_items", "import_label_studio"]

ProgressCallback = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import read and added; re-importing the same file adds nothing."""

    file: str
    kind: str
    rows_read: int = 0
    rows_added: int = 0
    items_added: int = 0
    schema_registered: int | None = None
    ignored_columns: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        """Rows already in the store (same judgement, or same item)."""
        return self.rows_read - self.rows_added

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "duplicates": self.duplicates}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_annotations(
    workspace: Workspace,
    path: str | Path,
    *,
    format: str | None = None,
    default_source: str = "human",
    on_progress: ProgressCallback | None = None,
) -> ImportResult:
    """Append a long-format annotation file (one judgement a row) in one transaction."""
    path = Path(path)
    tabular = open_tabular(path, format, as_strings=True, on_progress=on_progress, scalar_columns=ANNOTATION_COLUMNS)
    problems = check_columns(path, tabular.columns, ANNOTATION_REQUIRED, ANNOTATION_COLUMNS)
    if problems:
        raise ImportValidationError(problems)
    result = ImportResult(str(path), "annotations",
                          ignored_columns=[c for c in tabular.columns if c not in ANNOTATION_COLUMNS])
    schema = workspace.schema()
    with workspace.transaction() as connection:
        if writes.register_schema(connection, schema):
            result.schema_registered = schema.version
        known = pd.Index(sorted(reads.item_id_lookup(connection)))
        context = AnnotationContext(
            path=path,
            item_positions=lambda ids: known.get_indexer(pd.Index(ids.to_numpy(dtype=object))),
            schemas=reads.schemas(connection),
            default_version=schema.version,
            default_source=default_source,
        )
        import_id = writes.start_import(connection, "annotations", str(path), _file_sha256(path))
        now = writes.utcnow()
        for batch in tabular.batches():
            result.rows_read += len(batch.frame)
            clean = validate_annotations(batch, context)
            if context.total_problems == 0:
                result.rows_added += writes.append_annotations(connection, clean, import_id, now)
        if context.total_problems:
            raise ImportValidationError(tabular.locate(context.problems), context.total_problems)
        writes.finish_import(connection, import_id, result.rows_read, result.rows_added)
    return result


def import_items(
    workspace: Workspace, path: str | Path, *, format: str | None = None, on_progress: ProgressCallback | None = None
) -> ImportResult:
    """Add items (``item_id`` plus payload columns, optional ``group_id``, ``segment``, ``created_at``).

    An item already in the store with the same payload is skipped; with a different payload the import is
    refused, since an item's content is part of its ground truth and is never silently replaced.
    """
    path = Path(path)
    tabular = open_tabular(path, format, as_strings=False, on_progress=on_progress, text_columns=ITEM_COLUMNS,
                           scalar_columns=ITEM_COLUMNS)
    problems = check_columns(path, tabular.columns, ["item_id"], ITEM_COLUMNS, strict_known=False)
    if problems:
        raise ImportValidationError(problems)
    result = ImportResult(str(path), "items")
    collected: list[RowProblem] = []
    total_problems = 0
    with workspace.transaction() as connection:
        known = reads.item_id_lookup(connection)
        seen: dict[str, int] = {}
        import_id = writes.start_import(connection, "items", str(path), _file_sha256(path))
        for batch in tabular.batches():
            result.rows_read += len(batch.frame)
            frame, batch_problems = validate_items(path, batch, seen)
            new, existing_problems = split_existing_items(connection, path, frame, known)
            batch_problems += existing_problems
            total_problems += len(batch_problems)
            collected += batch_problems[: max(0, 20 - len(collected))]
            if not total_problems:
                result.rows_added += writes.insert_items(connection, new, import_id)
                known.update(new["item_id"])
        if total_problems:
            raise ImportValidationError(tabular.locate(collected), total_problems)
        result.items_added = result.rows_added
        writes.finish_import(connection, import_id, result.rows_read, result.rows_added)
    return result


def import_label_studio(
    workspace: Workspace,
    path: str | Path,
    *,
    item_id_field: str | None = None,
    from_name: str | None = None,
    include_predictions: bool = False,
) -> ImportResult:
    """Import a Label Studio JSON export: new tasks become items, each annotator's choices annotations."""
    path = Path(path)
    if not path.is_file():
        raise ImportValidationError([RowProblem(str(path), None, None, "no such file", "a Label Studio JSON export")])
    records = read_label_studio(path, item_id_field=item_id_field, from_name=from_name,
                                include_predictions=include_predictions)
    result = ImportResult(str(path), "label-studio",
                          skipped={"cancelled": records.cancelled, "empty": records.skipped_empty})
    schema = workspace.schema()
    with workspace.transaction() as connection:
        if writes.register_schema(connection, schema):
            result.schema_registered = schema.version
        import_id = writes.start_import(connection, "label-studio", str(path), _file_sha256(path))
        known = reads.item_id_lookup(connection)
        new_items = pd.DataFrame(
            [
                {"item_id": item["item_id"], "payload": jsonable(item["payload"]), "group_id": None,
                 "segment": None, "created_at": pd.NaT}
                for item in records.items
                if item["item_id"] not in known
            ],
            columns=["item_id", "payload", "group_id", "segment", "created_at"],
        ).drop_duplicates("item_id")
        result.items_added = writes.insert_items(connection, new_items, import_id)
        known.update(new_items["item_id"])
        known_index = pd.Index(sorted(known))
        context = AnnotationContext(
            path=path,
            item_positions=lambda ids: known_index.get_indexer(pd.Index(ids.to_numpy(dtype=object))),
            schemas=reads.schemas(connection),
            default_version=schema.version,
        )
        columns = ["item_id", "annotator_id", "label", "created_at", "source", "note"]
        frame = pd.DataFrame([{c: a.get(c) for c in columns} for a in records.annotations], columns=columns)
        frame = frame.astype(object).where(frame.notna(), None)
        batch = Batch(frame, 1, tuple(int(a["row"]) for a in records.annotations))
        clean = validate_annotations(batch, context)
        if context.total_problems:
            raise ImportValidationError(context.problems, context.total_problems)
        result.rows_added = writes.append_annotations(connection, clean, import_id, writes.utcnow())
        result.rows_read = len(frame)
        writes.finish_import(connection, import_id, result.rows_read, result.rows_added)
    return result


