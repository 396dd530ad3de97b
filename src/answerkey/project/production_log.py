"""The production log a model service pushes: predictions and, later, their outcomes, kept as Parquet part files
under ``<workspace>/.answerkey/production/predictions/`` and ``.../outcomes/`` where monitoring reads them
(``answerkey monitor .answerkey/production/predictions/*.parquet .answerkey/production/outcomes/*.parquet``).

Each write is one part file, validated whole first (one bad row refuses them all), written to a temporary file
and renamed into place: a reader sees all of a write or none of it. Each column's type (text, number or
boolean; numbers are 64-bit floats) is fixed once and every later part carries every column seen before, in the
same type, so the parts read as one table. A type is fixed by ``[production] columns`` in ``answerkey.toml``, or
else by the first write that holds the column from a writer trusted to fix types (the HTTP API: a reviewer's or
admin's token). Any other writer (an annotator's token, which a model service uses) writes only columns whose
type is fixed, in that type: one odd row (``"prediction": true``) cannot fix a type that locks the model service
out. A prediction id is logged once; an outcome needs its prediction, comes once, and is observed no earlier than
its prediction was made: what monitoring checks.
"""

from __future__ import annotations

import math
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from answerkey.config import CONFIG_FILE, STORE_DIR
from answerkey.errors import ImportValidationError, ParameterError, RowProblem, WorkspaceError
from answerkey.jsonable import records
from answerkey.project.annotation_rows import MAX_ROWS
from answerkey.project.workspace import Workspace
from answerkey.timestamps import parse_timestamps

__all__ = ["KINDS", "StagedPart", "log_folder", "log_rows", "staged_part"]

KINDS = ("predictions", "outcomes")
FIELDS: dict[str, dict[str, str]] = {
    "predictions": {"prediction_id": "id", "predicted_at": "time", "model": "text", "model_version": "text",
                    "prediction": "scalar", "score": "number"},
    "outcomes": {"prediction_id": "id", "outcome": "scalar", "observed_at": "time"},
}
"""Each kind's own fields and what they hold; predictions may carry more (features, segments, class scores)."""
REQUIRED = {"predictions": ("prediction_id", "predicted_at"), "outcomes": ("prediction_id", "outcome", "observed_at")}
ORDER = {"predictions": "predicted_at", "outcomes": "observed_at"}
EXTRA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
WANTED: dict[str, tuple[str | None, str]] = {
    "id": ("text", "text (or a whole number)"), "time": ("text", "an ISO 8601 date-time"), "text": ("text", "text"),
    "number": ("number", "a number"), "scalar": (None, "text, a number or true/false")}
"""The kind of JSON value each field holds (None: any scalar), and how a problem says it."""
ARROW = {"text": pa.string(), "number": pa.float64(), "boolean": pa.bool_(), "time": pa.timestamp("us")}
BUILT_IN = {"id": "text", "text": "text", "number": "number", "time": "time"}
"""The type of each built-in field that holds one kind of value (``scalar`` fields take theirs from the log)."""
UNFIXED = ("a column whose type is fixed: declared in answerkey.toml ([production] columns) or first written by a "
           "reviewer's or admin's token")
SHOWN = 20
_LOCK = threading.Lock()
"""One writer of the production log at a time in this process (the checks against the log and the rename)."""


def log_folder(workspace: Workspace, kind: str) -> Path:
    """Where the parts of ``kind`` (predictions or outcomes) live."""
    if kind not in KINDS:
        raise ParameterError.invalid("kind", f"one of {', '.join(KINDS)}", kind)
    return workspace.root / STORE_DIR / "production" / kind


def _parts(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.parquet"))


def _kind_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "text" if isinstance(value, str) else "other"


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _arrow_kind(dtype: pa.DataType) -> str:
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        return "number"
    if pa.types.is_timestamp(dtype):
        return "time"
    return "text" if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) else str(dtype)


def _established(folder: Path) -> pa.Schema | None:
    """The log's columns and types: the newest part's (every part carries every column seen before it)."""
    parts = _parts(folder)
    return pq.read_schema(parts[-1]) if parts else None


@dataclass
class _Columns:
    """Values by column, in the order columns were first seen, and the problems found."""

    origin: str
    values: dict[str, list[Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)

    def problem(self, row: int | None, column: str | None, found: str, expected: str) -> None:
        self.problems.append(RowProblem(self.origin, row, column, found, expected))


def _collect(kind: str, rows: Sequence[Any], columns: _Columns, fixed: Mapping[str, tuple[str, str]],
             fixes_types: bool) -> None:
    """Each row's values into ``columns``, with a problem for each value that is missing, of the wrong kind, of
    another type than its column's ``fixed`` one (type and why), of another kind than the column's earlier
    values, or in a column whose type is not fixed yet when this writer may not fix it."""
    own = FIELDS[kind]
    for position, row in enumerate(rows):
        if not isinstance(row, Mapping):
            columns.problem(position, None, f"a JSON {type(row).__name__}", "a JSON object")
            continue
        for name in REQUIRED[kind]:
            if row.get(name) is None:
                columns.problem(position, name, "no value", "a value")
        for name, value in row.items():
            name = str(name)
            if name not in own and kind == "outcomes":
                columns.problem(position, name, "an unknown field", f"one of {', '.join(own)}")
                continue
            if name not in own and (not EXTRA_NAME.match(name) or name in FIELDS["outcomes"]):
                columns.problem(position, name, f"a field named {name!r}", "a column name of letters, digits and _ "
                                "(not outcome or observed_at: outcomes are sent on their own)")
                continue
            holds = own.get(name, "scalar")
            found = _kind_of(value)
            if holds == "id" and found == "number" and isinstance(value, int):
                value, found = str(value), "text"
            wanted, described = WANTED[holds]
            if found == "other" or (found is not None and wanted is not None and found != wanted):
                columns.problem(position, name, f"a JSON {type(value).__name__}", described)
            elif found == "number" and not _finite(value):
                columns.problem(position, name, f"the number {value!r}", "a finite number")
            elif found is not None and holds == "scalar" and name in fixed and fixed[name][0] != found:
                columns.problem(position, name, f"a {found} value", f"a {fixed[name][0]} value, {fixed[name][1]}")
            elif found is not None and holds == "scalar" and name not in fixed and not fixes_types:
                columns.problem(position, name, f"a {found} value in a column whose type is not fixed yet", UNFIXED)
            elif found is not None and columns.kinds.setdefault(name, found) != found:
                columns.problem(position, name, f"a {found} value", f"a {columns.kinds[name]} like the rows before")
            else:
                columns.values.setdefault(name, [None] * len(rows))[position] = value


def _fixed_types(workspace: Workspace, kind: str, schema: pa.Schema | None, other: pa.Schema | None
                 ) -> dict[str, tuple[str, str]]:
    """The type of each column of ``kind`` that is fixed already, and why: declared in answerkey.toml, in the log
    (``schema``), or by the other log (``other``: an outcome has its prediction's type). A declaration that the
    log or a built-in field contradicts is a :class:`WorkspaceError`: no write could satisfy both."""
    declared = dict(workspace.config.production_columns)
    for name, declared_type in declared.items():
        holds = {**FIELDS["predictions"], **FIELDS["outcomes"]}.get(name, "scalar")
        if holds != "scalar" and BUILT_IN[holds] != declared_type:
            raise WorkspaceError(f"{CONFIG_FILE}: [production] columns declares {name} as {declared_type}, but "
                                 f"{name} always holds {BUILT_IN[holds]} values; remove it from the declaration")
    if "prediction" in declared and declared.get("outcome", declared["prediction"]) != declared["prediction"]:
        raise WorkspaceError(f"{CONFIG_FILE}: [production] columns declares prediction as {declared['prediction']} "
                             f"and outcome as {declared['outcome']}; they are compared, so they need one type")
    fixed: dict[str, tuple[str, str]] = {}
    paired, mine = ("prediction", "outcome") if kind == "outcomes" else ("outcome", "prediction")
    for name, declared_type in declared.items():
        why = f"the type {CONFIG_FILE} declares for {name}"
        if name in (paired, mine):  # a prediction and its outcome have one type
            fixed[mine] = (declared_type, why)
        elif kind == "predictions":
            fixed[name] = (declared_type, why)
    logged = {f.name: _arrow_kind(f.type) for f in schema or []}
    if other is not None and paired in other.names:
        logged.setdefault(mine, _arrow_kind(other.field(paired).type))
    for name, logged_type in logged.items():
        if name in fixed and fixed[name][0] != logged_type:
            raise WorkspaceError(f"{CONFIG_FILE}: [production] columns declares {name}'s type as {fixed[name][0]}, "
                                 f"but the {kind} log holds {logged_type} values (types never change): declare "
                                 f"{logged_type}, or move the log's parts aside")
        fixed.setdefault(name, (logged_type, f"the type of {name} in the log (types never change)"))
    return fixed


def _table(kind: str, columns: _Columns, schema: pa.Schema | None, other: pa.Schema | None) -> pa.Table | None:
    """The rows as an Arrow table with every column of the log, in the log's types (None, with the problems
    recorded, when the rows do not fit the log)."""
    n = len(next(iter(columns.values.values()), []))
    types = {name: ARROW["time"] if FIELDS[kind].get(name) == "time" else ARROW[k] for name, k in columns.kinds.items()}
    types |= {name: ARROW["text"] for name, holds in FIELDS[kind].items() if holds == "id"}
    arrays: dict[str, pa.Array] = {}
    for f in schema or []:
        mine = types.get(f.name)
        if mine is not None and _arrow_kind(mine) != _arrow_kind(f.type):
            columns.problem(None, f.name, f"{_arrow_kind(mine)} values",
                            f"{_arrow_kind(f.type)} values, the type of {f.name} in the log (types never change)")
        types[f.name] = f.type
    paired = "prediction" if kind == "outcomes" else "outcome"
    mine_name = "outcome" if kind == "outcomes" else "prediction"
    if other is not None and paired in other.names and mine_name in types:
        theirs, mine_kind = _arrow_kind(other.field(paired).type), _arrow_kind(types[mine_name])
        if mine_kind != theirs:
            columns.problem(None, mine_name, f"{mine_kind} values",
                            f"{theirs} values, like the log's {paired}s (they are compared)")
    if columns.problems:
        return None
    for name, dtype in types.items():
        values = columns.values.get(name, [None] * n)
        if pa.types.is_timestamp(dtype):
            parsed = parse_timestamps(pd.Series(values, dtype=object))
            unparsed = [i for i, (v, p) in enumerate(zip(values, parsed, strict=True)) if v and pd.isna(p)]
            for position in unparsed[:SHOWN]:
                columns.problem(position, name, f"timestamp {values[position]!r}",
                                "an ISO 8601 date-time such as 2026-03-01T14:30:00Z")
            arrays[name] = pa.array(parsed.astype("datetime64[us]"), type=dtype)
        elif name in columns.values or (schema is not None and name in schema.names):
            arrays[name] = pa.array(values, type=dtype)
    return None if columns.problems else pa.table(arrays)


def _duplicates(columns: _Columns) -> None:
    seen: dict[Any, int] = {}
    for position, value in enumerate(columns.values.get("prediction_id", [])):
        if value is not None and seen.setdefault(value, position) != position:
            columns.problem(position, "prediction_id", f"prediction id {value!r} again",
                            f"each prediction id once (first on row {seen[value]})")


def _refuse(problems: list[RowProblem], consequence: str = "nothing was written") -> None:
    if problems:
        first = sorted(problems, key=lambda p: p.row if p.row is not None else -1)[:SHOWN]
        raise ImportValidationError(first, len(problems), consequence)


@dataclass
class StagedPart:
    """A validated write, in a temporary file until :meth:`commit` renames it into the log."""

    workspace: Workspace
    kind: str
    temporary: Path
    final: Path
    table: pa.Table
    origin: str = "request body"
    committed: bool = False
    kept: bool = False

    @property
    def audit(self) -> dict[str, Any]:
        """What the audit log keeps of the write."""
        return {"kind": self.kind, "part": self.final.name, "rows": self.table.num_rows}

    def commit(self) -> dict[str, Any]:
        """Check the rows against the log as it is now, then rename the part into place; what was added."""
        _refuse(_against_log(self))
        os.replace(self.temporary, self.final)
        self.committed = True
        return {"rows_added": self.table.num_rows, "part": str(self.final.relative_to(self.workspace.root))}

    def settle(self, *, applied: bool) -> None:
        """Keep the part when its write was applied (recorded); else it is taken out again on leaving."""
        self.kept = applied and self.committed


def _against_log(part: StagedPart) -> list[RowProblem]:
    """Prediction ids already logged; outcomes without their prediction or observed before it."""
    problems: list[RowProblem] = []
    ids = part.table.column("prediction_id").to_pylist()
    position = {value: i for i, value in enumerate(ids)}
    own, predictions = _parts(part.final.parent), _parts(log_folder(part.workspace, "predictions"))
    with duckdb.connect() as con:
        con.register("batch", part.table)
        logged = con.execute("SELECT prediction_id FROM read_parquet($files, union_by_name=true) WHERE prediction_id "
                             "IN (SELECT prediction_id FROM batch) LIMIT 20", {"files": own}).fetchall() if own else []
        found = con.execute("SELECT b.prediction_id, p.predicted_at, b.observed_at FROM batch b LEFT JOIN "
                            "read_parquet($files, union_by_name=true) p USING (prediction_id)",
                            {"files": predictions}).fetchall() if part.kind == "outcomes" and predictions else []
    for (value,) in logged:
        problems.append(RowProblem(part.origin, position[value], "prediction_id", f"prediction id {value!r}, logged "
                                   "before", f"a prediction id not in the {part.kind} log yet"))
    if part.kind == "outcomes" and not predictions:
        found = [(value, None, None) for value in ids]
    for value, predicted_at, observed_at in found:
        if predicted_at is None:
            problems.append(RowProblem(part.origin, position[value], "prediction_id",
                                       f"prediction id {value!r}, with no prediction logged",
                                       "the id of a logged prediction (POST /api/predictions first)"))
        elif observed_at < predicted_at:
            problems.append(RowProblem(part.origin, position[value], "observed_at",
                                       f"{observed_at} (before the prediction, made {predicted_at})",
                                       "a time at or after the prediction"))
    return problems


@contextmanager
def staged_part(workspace: Workspace, kind: str, rows: Sequence[Any], *, fixes_types: bool,
                origin: str = "request body") -> Iterator[StagedPart]:
    """Validate ``rows`` and write them to a temporary part, holding the production log's lock until the block
    ends; :meth:`StagedPart.commit` (inside the audited transaction) renames it into the log, and a part not
    :meth:`~StagedPart.settle`-d as applied is taken out again, so a failed transaction leaves nothing.

    ``fixes_types``: whether this writer may fix the type of a column whose type is not fixed yet (neither
    declared in answerkey.toml nor in the log); without it such a column is refused, row by row."""
    folder = log_folder(workspace, kind)
    if len(rows) > MAX_ROWS:
        _refuse([RowProblem(origin, None, None, f"{len(rows)} rows", f"at most {MAX_ROWS} rows a request")])
    if not rows:
        _refuse([RowProblem(origin, None, None, "no rows", "at least one row")])
    with _LOCK:
        columns = _Columns(origin)
        schema = _established(folder)
        other = _established(log_folder(workspace, "predictions" if kind == "outcomes" else "outcomes"))
        _collect(kind, rows, columns, _fixed_types(workspace, kind, schema, other), fixes_types)
        _duplicates(columns)
        table = None if columns.problems else _table(kind, columns, schema, other)
        _refuse(columns.problems)
        assert table is not None
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}.parquet"
        part = StagedPart(workspace, kind, folder / f".{name}.tmp", folder / name, table, origin)
        try:
            pq.write_table(table, part.temporary)
            with part.temporary.open("rb") as handle:
                os.fsync(handle.fileno())
            yield part
        finally:
            part.temporary.unlink(missing_ok=True)
            if part.committed and not part.kept:
                part.final.unlink(missing_ok=True)


def log_rows(workspace: Workspace, kind: str, *, limit: int = 100, offset: int = 0,
             prediction_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """A page of the log in time order (predictions by predicted_at, outcomes by observed_at), and the total."""
    parts = _parts(log_folder(workspace, kind))
    if not parts:
        return [], 0
    where, params = ("WHERE prediction_id = $id", {"id": prediction_id}) if prediction_id is not None else ("", {})
    source = f"read_parquet($files, union_by_name=true) {where}"
    with duckdb.connect() as con:
        total = int(con.execute(f"SELECT count(*) FROM {source}", {"files": parts, **params}).fetchall()[0][0])
        frame = con.execute(f"SELECT * FROM {source} ORDER BY {ORDER[kind]}, prediction_id LIMIT $limit "
                            "OFFSET $offset", {"files": parts, **params, "limit": limit, "offset": offset}).df()
    return records(frame) or [], total
