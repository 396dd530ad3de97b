"""Checking long-format annotation and item batches before anything is written.

Pure functions: they take a batch and what the store knows, and return the clean rows and the problems
(file, row, column, what was found, what was expected). Nothing here touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import get_close_matches
from hashlib import blake2b
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import RowProblem
from answerkey.excerpt import excerpt
from answerkey.io.identifiers import ID_EXPECTED, NUL, TEXT_EXPECTED, control_mask, has_control, with_control
from answerkey.io.tabular import Batch
from answerkey.schema import LabelingSchema, expected_labels, label_checker
from answerkey.timestamps import parse_timestamps, timestamp_text

__all__ = [
    "ANNOTATION_COLUMNS",
    "ITEM_COLUMNS",
    "SOURCES",
    "AnnotationContext",
    "check_columns",
    "jsonable",
    "judgement_key",
    "validate_annotations",
    "validate_items",
]

SOURCES = ("human", "expert", "adjudicated", "behavioral", "synthetic", "model")
ANNOTATION_REQUIRED = ("item_id", "annotator_id", "label")
ANNOTATION_COLUMNS = (*ANNOTATION_REQUIRED, "created_at", "source", "schema_version", "confidence", "note")
ITEM_COLUMNS = ("item_id", "group_id", "segment", "created_at")


def check_columns(
    path: Path, columns: list[str], required: Iterable[str], known: Iterable[str], *, strict_known: bool = True
) -> list[RowProblem]:
    """Missing required columns, duplicate names, and near-misses of known column names (typos)."""
    problems = []
    known = list(known)
    seen = set()
    for name in columns:
        if name in seen:
            problems.append(RowProblem(str(path), 1, name, "a second column of this name", "unique column names"))
        seen.add(name)
    for name in required:
        if name not in columns:
            hint = get_close_matches(name, [c for c in columns if c not in known], n=1, cutoff=0.75)
            found = f"no column {name!r}" + (f" (is {hint[0]!r} a typo?)" if hint else "")
            problems.append(RowProblem(str(path), 1, name, found, f"columns {', '.join(required)}"))
    if strict_known:
        for name in columns:
            if name in known:
                continue
            near = get_close_matches(name, known, n=1, cutoff=0.8)
            if near and near[0] not in columns:
                problems.append(
                    RowProblem(str(path), 1, name, f"unknown column {name!r}", f"{near[0]!r} (did you mean it?)")
                )
    return problems


def judgement_key(item_id: str, annotator_id: str, label: str, created_at: str) -> bytes:
    """Identity of one judgement (128-bit BLAKE2b of its fields): importing it again adds nothing."""
    text = f"{item_id}\x1f{annotator_id}\x1f{label}\x1f{created_at}"
    return blake2b(text.encode(), digest_size=16).digest()


@dataclass
class AnnotationContext:
    """What validation needs to know about the store: items, schema versions, and the default version."""

    path: Path
    item_positions: Callable[[pd.Series], np.ndarray]
    """Each id's position among the known items in a fixed order, -1 when unknown."""
    schemas: Mapping[int, LabelingSchema]
    default_version: int
    default_source: str = "human"
    max_problems: int = 20
    problems: list[RowProblem] = field(default_factory=list)
    total_problems: int = 0

    def add(self, row: int, column: str, found: str, expected: str) -> None:
        """Record a problem (only the first ``max_problems`` are kept; all are counted)."""
        self.total_problems += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(RowProblem(str(self.path), row, column, found, expected))


def validate_annotations(batch: Batch, context: AnnotationContext) -> pd.DataFrame:
    """Clean rows of one batch, ready to append; problems go to ``context``.

    Returns columns item_id, annotator_id, label, source, schema_version, created_at (storage text, see
    ``timestamp_text``), confidence, note, judgement_key. Rows with a problem are dropped (and the import as
    a whole will be refused).
    """
    frame = batch.frame
    n = len(frame)
    bad = np.zeros(n, dtype=bool)

    def report(mask: np.ndarray, column: str, found: Callable[[object], str], expected: str) -> None:
        nonlocal bad
        for position in np.flatnonzero(mask):
            context.add(batch.row(int(position)), column, found(frame[column].iat[int(position)]), expected)
        bad |= mask

    def missing(value: object) -> str:
        return "an empty value"

    for column in ANNOTATION_REQUIRED:
        report(frame[column].isna().to_numpy(), column, missing, "a value")
    controlled = {column: control_mask(frame[column].to_numpy(dtype=object)) for column in ("item_id", "annotator_id")}
    for column, mask in controlled.items():
        report(mask, column, with_control, ID_EXPECTED)
    if "note" in frame:
        report(control_mask(frame["note"].to_numpy(dtype=object), NUL), "note", lambda v: with_control(v, NUL),
               TEXT_EXPECTED)

    item_ids = frame["item_id"]
    positions = context.item_positions(item_ids)
    known = positions >= 0
    report(~known & item_ids.notna().to_numpy() & ~controlled["item_id"], "item_id",
           lambda v: f"unknown item {excerpt(v)}", "an item imported before (`answerkey import items FILE`)")

    sources = _column(frame, "source", context.default_source)
    report(~sources.isin(SOURCES).to_numpy(), "source", excerpt, f"one of {', '.join(SOURCES)}")

    if "schema_version" in frame:
        versions = pd.to_numeric(_column(frame, "schema_version", str(context.default_version)), errors="coerce")
    else:
        versions = pd.Series(np.full(n, context.default_version, dtype="int64"))
    version_ok = versions.isin(list(context.schemas)).to_numpy()
    report(~version_ok, "schema_version", lambda v: f"schema version {excerpt(v)}",
           f"a registered version ({', '.join(map(str, sorted(context.schemas)))})")

    labels = frame["label"].astype(object)
    canonical = pd.Series([None] * n, dtype=object)
    for version in sorted(set(versions[version_ok].astype(int))):
        schema = context.schemas[version]
        check = label_checker(schema)
        rows = (versions == version).to_numpy() & labels.notna().to_numpy()
        subset = labels[rows]
        checked = subset.map({value: check(value) for value in subset.unique()})
        canonical[rows] = checked.to_numpy()
        invalid = np.zeros(n, dtype=bool)
        invalid[np.flatnonzero(rows)[checked.isna().to_numpy()]] = True
        report(invalid, "label", lambda v: f"label {excerpt(v)}", expected_labels(schema))

    created_text = _column(frame, "created_at", None)
    created = parse_timestamps(created_text)
    report((created.isna() & created_text.notna()).to_numpy(), "created_at", lambda v: f"timestamp {excerpt(v)}",
           "an ISO 8601 date-time such as 2026-03-01T14:30:00Z")

    confidence_text = _column(frame, "confidence", None)
    confidence = pd.to_numeric(confidence_text, errors="coerce")
    report((confidence_text.notna() & ~confidence.between(0, 1)).to_numpy(), "confidence",
           lambda v: f"confidence {excerpt(v)}", "a number from 0 to 1")

    keep = ~bad
    stamps = timestamp_text(created[keep])
    item_kept = item_ids.to_numpy(dtype=object)[keep]
    annotator_kept = frame["annotator_id"].to_numpy(dtype=object)[keep]
    label_kept = canonical.to_numpy(dtype=object)[keep]
    clean = pd.DataFrame(
        {
            "item_id": item_kept,
            "annotator_id": annotator_kept,
            "label": label_kept,
            "source": sources.to_numpy(dtype=object)[keep],
            "note": _column(frame, "note", None).to_numpy(dtype=object)[keep],
            "created_at": stamps,
            "judgement_key": [  # judgement_key() inlined: this runs once per imported row
                blake2b(f"{i}\x1f{a}\x1f{lab}\x1f{s or ''}".encode(), digest_size=16).digest()
                for i, a, lab, s in zip(item_kept, annotator_kept, label_kept, stamps, strict=True)
            ],
        },
        dtype=object,
    )
    clean["schema_version"] = versions.to_numpy()[keep].astype("int64") if keep.any() else np.array([], "int64")
    clean["confidence"] = confidence.to_numpy(dtype=float)[keep]
    # grouped by item (stably, so each item's judgements keep their order): the store's item index and
    # foreign-key checks then touch each page once instead of at random
    order = np.argsort(positions[keep], kind="stable")
    return clean.iloc[order].reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str, default: str | None) -> pd.Series:
    if name in frame:
        series = frame[name].astype(object)
        return series.where(series.notna(), default) if default is not None else series
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def jsonable(value: Any) -> Any:
    """A payload value as plain JSON data (numpy scalars, timestamps and NaN made portable)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")  # a binary column of text; UnicodeDecodeError when it is not text
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str | None:
    value = jsonable(value)
    if value is None:
        return None
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return text.strip() or None


def validate_items(path: Path, batch: Batch, seen: dict[str, int]) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Item rows of one batch (id, payload dict, group, segment, time) and their problems; ``seen`` spans batches."""
    frame = batch.frame
    problems: list[RowProblem] = []
    ids = [_text(v) for v in frame["item_id"]]
    # built as object lists: pandas' text dtype would turn None back into NaN
    created_text = pd.Series([_text(v) for v in frame["created_at"]] if "created_at" in frame else [None] * len(frame),
                             dtype=object)
    created = parse_timestamps(created_text)
    payload_columns = [c for c in frame.columns if c not in ITEM_COLUMNS]
    records = frame[payload_columns].to_dict("records") if payload_columns else [{} for _ in range(len(frame))]
    rows = []
    for position, item_id in enumerate(ids):
        row = batch.row(position)
        if item_id is None:
            problems.append(RowProblem(str(path), row, "item_id", "an empty value", "an item id"))
            continue
        if has_control(item_id):
            problems.append(RowProblem(str(path), row, "item_id", with_control(item_id), ID_EXPECTED))
            continue
        if item_id in seen:
            problems.append(RowProblem(str(path), row, "item_id", f"item {excerpt(item_id)} again",
                                       f"each item once (first on row {seen[item_id]})"))
            continue
        seen[item_id] = row
        group_id, segment = (_text(frame[c].iat[position]) if c in frame else None for c in ("group_id", "segment"))
        refused = [(c, v) for c, v in (("group_id", group_id), ("segment", segment)) if v and has_control(v)]
        if refused:
            problems.append(RowProblem(str(path), row, refused[0][0], with_control(refused[0][1]), ID_EXPECTED))
            continue
        stamp: Any = created.iat[position]
        if pd.isna(stamp) and created_text.iat[position] is not None:
            problems.append(RowProblem(str(path), row, "created_at", f"timestamp {excerpt(created_text.iat[position])}",
                                       "an ISO 8601 date-time such as 2026-03-01T14:30:00Z"))
            continue
        try:
            payload = {str(k): jsonable(v) for k, v in records[position].items()}
        except UnicodeDecodeError as exc:
            column = next(str(k) for k, v in records[position].items() if isinstance(v, bytes) and _undecodable(v))
            found = f"bytes that are not UTF-8 ({exc.object[exc.start:exc.end]!r})"
            problems.append(RowProblem(str(path), row, column, found, "UTF-8 text"))
            continue
        rows.append({
            "item_id": item_id,
            "payload": payload,
            "group_id": group_id,
            "segment": segment,
            "created_at": created.iat[position],
            "_row": row,
        })
    columns = ["item_id", "payload", "group_id", "segment", "created_at", "_row"]
    return pd.DataFrame(rows, columns=columns, dtype=object), problems


def _undecodable(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
