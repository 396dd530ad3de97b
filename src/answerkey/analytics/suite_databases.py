"""Candidate databases for a distilled test suite: small databases fuzzed from the real one.

Each candidate has the real schema (its schemas, tables and views: a view is made again over the candidate's
tables, from its own statement) and a few rows per table, drawn with its own seed and size: whole real rows
and rows recombined column by column from the real values, the golds' boundary values (on, just beside and
beyond every constant a column is compared with) and NULLs where a column is nullable. Keys stay keys: a unique
column gets distinct values, and a column that refers to another takes its values from the rows generated for
that table, so a new dimension row (``drug_type = 'Topical'``) is joined by new fact rows. Columns the golds
join without a key share their values. (Zhong, Yu and Klein, EMNLP 2020, fuzz the same way.)
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from answerkey.analytics.suite_boundaries import as_text, boundary_values, grouped
from answerkey.analytics.suite_profile import (
    ColumnRef,
    Profile,
    TableInfo,
    TableKey,
    ViewInfo,
    quoted,
)
from answerkey.errors import AnswerkeyError

__all__ = ["CANDIDATES", "FOCUSED", "CandidateError", "Shape", "focused_shapes", "shapes", "typed_boundaries",
           "write_candidate"]

CANDIDATES = 16
"""Candidate databases fuzzed per warehouse."""
SIZES = (3, 5, 8, 12, 20, 30, 45, 60)
"""Rows per table the golds read (twice that for a table that refers to another), by candidate."""
UNREAD_ROWS = 3
"""Real rows kept of a table no gold reads (an answer that reads it still runs)."""
BLOCK_SIZE = 16384
"""Bytes per storage block of a candidate file: DuckDB's default (256 KiB) makes a file of a few rows per table
megabytes large."""



@dataclass(frozen=True)
class Shape:
    """How one candidate is drawn."""

    seed: int
    size: int
    null_rate: float
    boundary_rate: float
    whole_row_rate: float
    fan_out: int = 2
    """Rows of a table that refers to another per row of the table it refers to (duplicates within a group)."""


def shapes(count: int = CANDIDATES) -> list[Shape]:
    """The candidates' shapes: every size with and without NULLs, boundaries often or seldom."""
    return [Shape(seed, SIZES[seed % len(SIZES)], 0.0 if seed < len(SIZES) else 0.15,
                  0.5 if seed % 2 == 0 else 0.25, 0.3) for seed in range(count)]


FOCUSED = (Shape(1000, 10, 0.0, 0.8, 0.1), Shape(1001, 30, 0.1, 0.6, 0.2), Shape(1002, 5, 0.3, 0.5, 0.3, 6),
           Shape(1003, 40, 0.0, 0.3, 0.6, 3))
"""The first shapes of the candidates drawn for one question alone, from its own boundaries (each value of them
then appears often, where the shared candidates mix every question's)."""


def focused_shapes(count: int) -> list[Shape]:
    """``count`` shapes for one question's own candidates: :data:`FOCUSED`, then shapes that vary size, NULLs,
    boundaries, whole real rows and fan-out together, as many as asked."""
    more = [Shape(1000 + n, (4, 7, 15, 25, 40, 70)[n % 6], (0.0, 0.1, 0.3)[n % 3], 0.2 + 0.1 * (n % 7),
                  (0.2, 0.5)[n % 2], (2, 3, 5)[n // 3 % 3]) for n in range(len(FOCUSED), count)]
    return [*FOCUSED, *more][:count]


def _fresh(table: TableInfo, column: str, kind: str, taken: set[Any], salt: int) -> Any:
    """A value of the column's type not yet taken (for a unique column that ran out of real values)."""
    upper = kind.upper()
    numbers = [v for v in taken if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]
    if any(k in upper for k in ("INT", "DECIMAL", "DOUBLE", "FLOAT", "NUMERIC", "REAL")):
        return int(max(numbers, default=0)) + 1 + salt
    if "TIMESTAMP" in upper or "DATE" in upper:
        moments = [v for v in taken if isinstance(v, dt.date)]
        base = max(moments, default=dt.date(2000, 1, 1))
        return base + dt.timedelta(days=1 + salt)
    if any(k in upper for k in ("CHAR", "TEXT", "STRING")):
        return f"{table.name}-{column}-{salt}"
    return None


class _Drawer:
    """Draws one candidate's rows, table by table, parents first."""

    def __init__(self, profile: Profile, shape: Shape, typed: dict[ColumnRef, list[Any]]) -> None:
        self.profile, self.shape = profile, shape
        self.random = random.Random(shape.seed)
        self.rows: dict[TableKey, list[list[Any]]] = {}
        self.parents = {key.child: key for key in profile.keys if key.parent[0] in profile.tables}
        self.typed = dict(typed)
        for child, key in self.parents.items():  # a value a referring column is compared with must be a key
            if child in typed:
                self.typed[key.parent] = [*self.typed.get(key.parent, []), *typed[child]]
        self.shared = self._shared_values()

    def _shared_values(self) -> dict[ColumnRef, list[Any]]:
        """For columns joined without a key: the union of both columns' real values."""
        shared: dict[ColumnRef, list[Any]] = {}
        for a, b in self.profile.links:
            union = [*self._real(a), *self._real(b)]
            shared[a] = shared[b] = union
        return shared

    def _real(self, ref: ColumnRef) -> list[Any]:
        table = self.profile.tables.get(ref[0])
        return list(table.values.get(ref[1], [])) if table else []

    def order(self) -> list[TableKey]:
        """Tables with the tables they refer to first (a cycle is broken where it closes)."""
        ordered: list[TableKey] = []
        visiting: set[TableKey] = set()

        def visit(name: TableKey) -> None:
            if name in ordered or name in visiting:
                return
            visiting.add(name)
            for key in self.profile.keys:
                if key.child[0] == name and key.parent[0] != name:
                    visit(key.parent[0])
            visiting.discard(name)
            ordered.append(name)

        for name in sorted(self.profile.tables):
            visit(name)
        return ordered

    def size(self, name: TableKey) -> int:
        table = self.profile.tables[name]
        if name not in self.profile.read:
            return min(UNREAD_ROWS, table.rows)
        refers = any(key.child[0] == name for key in self.profile.keys)
        return self.shape.size * (self.shape.fan_out if refers else 1)

    def draw(self) -> dict[TableKey, list[list[Any]]]:
        for name in self.order():
            self.rows[name] = self._table(name)
        return self.rows

    def _table(self, name: TableKey) -> list[list[Any]]:
        table = self.profile.tables[name]
        count = self.size(name)
        if count == 0 or (not table.sample and name not in self.profile.read):
            return []
        rows = []
        for _ in range(count):
            whole = table.sample and (name not in self.profile.read or self.random.random() < self.shape.whole_row_rate)
            if whole:
                rows.append(list(self.random.choice(table.sample)))
            else:
                rows.append([self._value(name, column.name.lower(), column.nullable) for column in table.columns])
        self._keys_hold(name, rows)
        return rows

    def _value(self, name: TableKey, column: str, nullable: bool) -> Any:
        ref = (name, column)
        if nullable and self.shape.null_rate and self.random.random() < self.shape.null_rate:
            return None
        edges = self.typed.get(ref)
        if edges and self.random.random() < self.shape.boundary_rate:
            return self.random.choice(edges)
        pool = self.shared.get(ref) or self._real(ref) or edges
        if pool:
            return self.random.choice(pool)
        return None

    def _keys_hold(self, name: TableKey, rows: list[list[Any]]) -> None:
        """Unique columns distinct and non-null; referring columns point at generated parent rows."""
        table = self.profile.tables[name]
        for position, column in enumerate(table.columns):
            ref = (name, column.name.lower())
            key = self.parents.get(ref)
            if key is not None:
                self._refer(key, position, rows, column.nullable)
            if column.unique:
                self._distinct(table, position, rows)

    def _refer(self, key: Any, position: int, rows: list[list[Any]], nullable: bool) -> None:
        parent = self.profile.tables[key.parent[0]]
        generated = [row[parent.index(key.parent[1])] for row in self.rows.get(key.parent[0], [])]
        targets = [v for v in generated if v is not None]
        for row in rows:
            if row[position] is None and nullable:
                continue
            if key.dangling and self.random.random() < 0.1:
                continue  # the real data has such rows: keep a value the parent may lack
            if targets:
                row[position] = self.random.choice(targets)
            elif nullable:
                row[position] = None  # no parent row to point at

    def _distinct(self, table: TableInfo, position: int, rows: list[list[Any]]) -> None:
        column = table.columns[position]
        taken: set[Any] = set()
        spare = [v for v in (self.typed.get((table.key, column.name.lower())) or []) if v is not None]
        spare += table.values.get(column.name.lower(), [])
        for index, row in enumerate(rows):
            value = row[position]
            if value is None or value in taken:
                value = next((v for v in spare if v not in taken), None)
                if value is None:
                    value = _fresh(table, column.name, column.type, taken, index)
            row[position] = value
            taken.add(value)


def typed_boundaries(connection: Any, profile: Profile, source: int | None = None) -> dict[ColumnRef, list[Any]]:
    """Each column's boundary values (of every gold, or of gold ``source`` only) cast to its type by DuckDB
    (values the type cannot hold are dropped)."""
    typed: dict[ColumnRef, list[Any]] = {}
    chosen = [b for b in profile.boundaries if source is None or b.source == source]
    for ref, boundaries in grouped(chosen).items():
        column = profile.column(ref)
        if column is None:
            continue
        real = profile.tables[ref[0]].values.get(ref[1], [])
        texts = sorted({as_text(v) for b in boundaries for v in boundary_values(b, real) if v is not None})
        if not texts:
            continue
        cast = connection.execute(f"SELECT DISTINCT TRY_CAST(v AS {column.type}) FROM unnest($1::VARCHAR[]) t(v)",
                                  [texts]).fetchall()
        values = sorted((row[0] for row in cast if row[0] is not None), key=repr)
        if values:
            typed[ref] = values
    return typed


def _label(profile: Profile, key: TableKey) -> str:
    """How the rows written are reported for a table: its name in lower case, or ``schema.name`` when another
    schema has a table of that name too."""
    twins = sum(1 for other in profile.tables if other[1] == key[1])
    return key[1] if twins == 1 else f"{key[0]}.{key[1]}"


def _write_table(connection: Any, table: TableInfo, drawn: list[list[Any]]) -> int:
    """Create ``table`` in the candidate and insert the rows drawn for it; the rows it holds."""
    import duckdb
    import pyarrow as pa

    qualified = f"{quoted(table.schema)}.{quoted(table.name)}"
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(table.schema)}")
    connection.execute(f"CREATE TABLE {qualified} ("
                       + ", ".join(f"{quoted(c.name)} {c.type}" for c in table.columns) + ")")
    if not drawn:
        return 0
    try:
        arrow = pa.table({f"c{i}": [row[i] for row in drawn] for i in range(len(table.columns))})
        connection.register("drawn", arrow)
        connection.execute(f"INSERT INTO {qualified} SELECT * FROM drawn")
        connection.unregister("drawn")
    except (pa.ArrowException, duckdb.Error):
        placeholders = ", ".join("?" * len(table.columns))
        for row in drawn:
            try:
                connection.execute(f"INSERT INTO {qualified} VALUES ({placeholders})", row)
            except duckdb.Error:
                continue  # a value the column cannot hold: the row is left out
    counted = connection.execute(f"SELECT count(*) FROM {qualified}").fetchone()
    return counted[0] if counted else 0


class CandidateError(AnswerkeyError, RuntimeError):
    """A candidate database cannot be made like the real one (a view of the warehouse cannot be recreated)."""


def _create_views(connection: Any, views: list[ViewInfo]) -> None:
    """Recreate the warehouse's views over the candidate's tables, each from its own statement, so a query on a
    view reads the candidate's rows; a view is retried after the others, in case it reads a view made later."""
    import duckdb

    waiting = list(views)
    failures: dict[ViewInfo, str] = {}
    while waiting:
        failures = {}
        for view in waiting:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(view.schema)}")
            try:
                connection.execute(view.sql)  # as DuckDB keeps it: names read from the view's own schema
            except duckdb.Error as error:
                failures[view] = str(error).splitlines()[0]
        if len(failures) == len(waiting):
            break
        waiting = list(failures)
    if failures:
        view, why = next(iter(failures.items()))
        raise CandidateError(f"the view {view.schema}.{view.name} cannot be recreated in a test suite's candidate "
                             f"database ({why}); a suite needs every view of the warehouse to read only its own "
                             "tables and views")


def write_candidate(profile: Profile, shape: Shape, typed: dict[ColumnRef, list[Any]], target: Path) -> dict[str, int]:
    """Draw one candidate and write it as the DuckDB file ``target`` (tables, then the warehouse's views over
    them); the rows written per table."""
    import duckdb

    rows = _Drawer(profile, shape, typed).draw()
    connection = duckdb.connect()
    try:
        escaped = str(target).replace("'", "''")
        connection.execute(f"ATTACH '{escaped}' AS candidate (BLOCK_SIZE {BLOCK_SIZE})")  # kilobytes, not MB
        connection.execute("USE candidate")
        written = {_label(profile, key): _write_table(connection, table, rows.get(key, []))
                   for key, table in profile.tables.items()}
        _create_views(connection, profile.views)
        connection.execute("USE memory")
        connection.execute("DETACH candidate")
    finally:
        connection.close()
    return written
