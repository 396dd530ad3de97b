"""What a test suite's fuzzer knows of the real database and of the golden set's queries.

Read once per warehouse: every table's columns (type, nullable, unique), a sample of whole rows and of each
column's distinct values; keys (declared, or read off the golds' equi-joins: a column equal to a unique column
refers to it); and the boundaries the golds test (every constant a column is compared with, evaluated, so that
``CURRENT_DATE - INTERVAL 10 DAY`` frozen at the run's instant is a date like any literal).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from answerkey.analytics.sql import parse_one

__all__ = ["Boundary", "ColumnInfo", "ForeignKey", "Profile", "TableInfo", "read_profile"]

ROW_SAMPLE = 200
"""Whole rows sampled per table (the fuzzer recombines them)."""
DISTINCT_SAMPLE = 40
"""Distinct values sampled per column."""
ColumnRef = tuple[str, str]
"""(table, column), lower case."""


@dataclass(frozen=True)
class ColumnInfo:
    """One column of the real database."""

    name: str
    type: str
    nullable: bool
    unique: bool


@dataclass
class TableInfo:
    """One table: where it lives, its columns, its size and samples of its rows and values."""

    schema: str
    name: str
    columns: list[ColumnInfo]
    rows: int
    sample: list[tuple[Any, ...]] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)

    def index(self, column: str) -> int:
        """The position of ``column`` (any case)."""
        return next(i for i, c in enumerate(self.columns) if c.name.lower() == column)


@dataclass(frozen=True)
class ForeignKey:
    """``child`` refers to ``parent``; ``dangling``: the real data holds child values the parent lacks."""

    child: ColumnRef
    parent: ColumnRef
    dangling: bool = False


@dataclass(frozen=True)
class Boundary:
    """A constant the golds compare a column with (``like``: a LIKE pattern)."""

    column: ColumnRef
    value: Any
    like: bool = False
    source: int = -1
    """Which gold (its position in the list read) compares the column with it."""


@dataclass
class Profile:
    """The real database as the fuzzer sees it."""

    tables: dict[str, TableInfo]
    keys: list[ForeignKey] = field(default_factory=list)
    boundaries: list[Boundary] = field(default_factory=list)
    links: list[tuple[ColumnRef, ColumnRef]] = field(default_factory=list)
    """Columns the golds compare for equality with no key between them: they share their values."""
    read: set[str] = field(default_factory=set)
    """Tables the golds read."""

    def schema(self) -> dict[str, object]:
        """Table -> column -> type, as sqlglot's qualifier takes it."""
        return {name: {c.name.lower(): c.type for c in table.columns} for name, table in self.tables.items()}

    def column(self, ref: ColumnRef) -> ColumnInfo | None:
        """The column ``ref`` names, if it exists."""
        table = self.tables.get(ref[0])
        return next((c for c in table.columns if c.name.lower() == ref[1]), None) if table else None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(connection: Any) -> dict[str, TableInfo]:
    rows = connection.execute(
        "SELECT schema_name, table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = 'src' ORDER BY schema_name, table_name, column_index").fetchall()
    unique: set[tuple[str, str]] = set()
    for table, names in connection.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE database_name = 'src' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall():
        if len(names) == 1:
            unique.add((table.lower(), names[0].lower()))
    tables: dict[str, TableInfo] = {}
    for schema, table, column, kind, nullable in rows:
        info = tables.setdefault(table.lower(), TableInfo(schema, table, [], 0))
        info.columns.append(ColumnInfo(column, kind, bool(nullable), (table.lower(), column.lower()) in unique))
    return tables


def _sample(connection: Any, table: TableInfo) -> None:
    """Row count, a repeatable sample of whole rows, and each column's distinct values (up to a cap)."""
    qualified = f"src.{_quoted(table.schema)}.{_quoted(table.name)}"
    table.rows = connection.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
    if not table.rows:
        return
    table.sample = connection.execute(
        f"SELECT * FROM {qualified} ORDER BY hash(rowid) LIMIT {ROW_SAMPLE}").fetchall()
    for column in table.columns:
        name = _quoted(column.name)
        table.values[column.name.lower()] = [row[0] for row in connection.execute(
            f"SELECT v FROM (SELECT DISTINCT {name} AS v FROM {qualified} WHERE {name} IS NOT NULL) "
            f"ORDER BY hash(v) LIMIT {DISTINCT_SAMPLE}").fetchall()]


def _unique_in_data(connection: Any, profile: Profile, refs: Iterable[ColumnRef]) -> None:
    """Mark as unique the joined columns whose real values are distinct and never NULL (a key nobody declared).
    Only joined columns: six distinct names in a small table do not make the name a key."""
    for ref in refs:
        table = profile.tables.get(ref[0])
        column = profile.column(ref)
        if table is None or column is None or column.unique or table.rows < 2:
            continue
        qualified = f"src.{_quoted(table.schema)}.{_quoted(table.name)}"
        distinct = connection.execute(
            f"SELECT count(DISTINCT {_quoted(column.name)}) = count(*) AND count(*) = {table.rows} "
            f"FROM {qualified}").fetchone()[0]
        if distinct:
            position = table.index(ref[1])
            table.columns[position] = ColumnInfo(column.name, column.type, column.nullable, True)


def _declared_keys(connection: Any, tables: dict[str, TableInfo]) -> list[ForeignKey]:
    try:
        rows = connection.execute(
            "SELECT table_name, constraint_column_names, referenced_table, referenced_column_names "
            "FROM duckdb_constraints() WHERE database_name = 'src' AND constraint_type = 'FOREIGN KEY'").fetchall()
    except Exception:  # an engine without referenced_table: keys come from the golds alone
        return []
    keys = []
    for table, names, parent, parent_names in rows:
        if len(names) == 1 and parent and len(parent_names or []) == 1 and parent.lower() in tables:
            keys.append(ForeignKey((table.lower(), names[0].lower()), (parent.lower(), parent_names[0].lower())))
    return keys


class _Reader:
    """Reads the golds: which columns meet which constants, and which columns are joined."""

    def __init__(self, profile: Profile, evaluate: Any) -> None:
        self.profile = profile
        self.evaluate = evaluate
        self.pairs: set[tuple[ColumnRef, ColumnRef]] = set()
        self.source = -1

    def read(self, sql: str, source: int) -> None:
        self.source = source
        try:
            tree = qualify(parse_one(sql, "duckdb"), schema=self.profile.schema(), dialect="duckdb",
                           validate_qualify_columns=False, quote_identifiers=False)
            scopes = traverse_scope(tree)
        except (SqlglotError, RecursionError, KeyError, ValueError, TypeError, AttributeError):
            return
        for scope in scopes:
            self.profile.read.update(s.name.lower() for s in scope.sources.values() if isinstance(s, exp.Table))
            for node in scope.walk():  # this scope's nodes only: a subquery is a scope of its own
                self._node(node, scope)

    def _ref(self, side: exp.Expr, scope: Scope) -> ColumnRef | None:
        """The real column behind the one column ``side`` reads (through CTEs and derived tables), if any."""
        columns = list(side.find_all(exp.Column))
        if len(columns) != 1 or side.find(exp.Subquery, exp.Select):
            return None
        return _origin(scope, columns[0])

    @staticmethod
    def _constant(side: exp.Expr) -> bool:
        return not side.find(exp.Column, exp.Subquery, exp.Select, exp.AggFunc, exp.Placeholder, exp.Star)

    def _add(self, ref: ColumnRef | None, constant: exp.Expr, like: bool = False) -> None:
        if ref is None or not self._constant(constant):
            return
        value = self.evaluate(constant)
        if value is not None:
            self.profile.boundaries.append(Boundary(ref, value, like, self.source))

    def _node(self, node: exp.Expr, scope: Scope) -> None:
        if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.Like | exp.ILike
                      | exp.NullSafeEQ):
            left, right = node.left, node.right
            like = isinstance(node, exp.Like | exp.ILike)
            left_ref, right_ref = self._ref(left, scope), self._ref(right, scope)
            if left_ref and right_ref and isinstance(node, exp.EQ | exp.NullSafeEQ):
                if left_ref != right_ref:
                    self.pairs.add((left_ref, right_ref))
                return
            self._add(left_ref, right, like)
            self._add(right_ref, left, like)
        elif isinstance(node, exp.Between):
            ref = self._ref(node.this, scope)
            self._add(ref, node.args["low"])
            self._add(ref, node.args["high"])
        elif isinstance(node, exp.In) and node.expressions:
            ref = self._ref(node.this, scope)
            for item in node.expressions:
                self._add(ref, item)
        elif isinstance(node, exp.Is):
            ref = self._ref(node.this, scope)
            if ref is not None and isinstance(node.expression, exp.Boolean):
                self.profile.boundaries.append(Boundary(ref, node.expression.this, source=self.source))


def _origin(scope: Scope, column: exp.Column, depth: int = 0) -> ColumnRef | None:
    """(table, column) of the base table column a column of ``scope`` reads, followed through the projections of
    CTEs and derived tables; None when it is computed."""
    sources = scope.sources
    source = sources.get(column.table) if column.table else (
        next(iter(sources.values())) if len(sources) == 1 else None)
    if isinstance(source, exp.Table):
        return (source.name.lower(), column.name.lower())
    if isinstance(source, Scope) and isinstance(source.expression, exp.Select) and depth < 16:
        for projection in source.expression.expressions:
            if projection.alias_or_name.lower() == column.name.lower():
                inner = projection.unalias()
                return _origin(source, inner, depth + 1) if isinstance(inner, exp.Column) else None
    return None


def _constant_evaluator(connection: Any) -> Any:
    """Evaluates a column-free expression in DuckDB (so intervals, casts and date arithmetic mean what the
    engine means); None when it does not evaluate."""
    import duckdb

    cache: dict[str, Any] = {}

    def evaluate(expression: exp.Expr) -> Any:
        text = expression.sql(dialect="duckdb")
        if text not in cache:
            try:
                cache[text] = connection.execute(f"SELECT {text}").fetchone()[0]
            except (duckdb.Error, TypeError, ValueError):
                cache[text] = None
        return cache[text]

    return evaluate


def _keys_from_joins(profile: Profile, pairs: Iterable[tuple[ColumnRef, ColumnRef]]) -> None:
    """A column joined to a unique column refers to it; two non-unique columns joined share their values."""
    known = {(k.child, k.parent) for k in profile.keys}
    for a, b in sorted(pairs):
        column_a, column_b = profile.column(a), profile.column(b)
        if column_a is None or column_b is None or a[0] == b[0]:
            continue
        if column_a.unique and column_b.unique:
            rows_a, rows_b = profile.tables[a[0]].rows, profile.tables[b[0]].rows
            child, parent = (a, b) if (rows_a, a) > (rows_b, b) else (b, a)
        elif column_a.unique:
            child, parent = b, a
        elif column_b.unique:
            child, parent = a, b
        else:
            profile.links.append((a, b))
            continue
        if (child, parent) not in known and not any(k.child == child for k in profile.keys):
            profile.keys.append(ForeignKey(child, parent))
            known.add((child, parent))


def _dangling(connection: Any, profile: Profile) -> None:
    """Mark the keys whose real data already holds child values the parent lacks."""
    marked = []
    for key in profile.keys:
        child, parent = profile.tables[key.child[0]], profile.tables[key.parent[0]]
        child_column = child.columns[child.index(key.child[1])].name
        parent_column = parent.columns[parent.index(key.parent[1])].name
        lacking = connection.execute(
            f"SELECT count(*) FROM src.{_quoted(child.schema)}.{_quoted(child.name)} c WHERE "
            f"c.{_quoted(child_column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM src.{_quoted(parent.schema)}."
            f"{_quoted(parent.name)} p WHERE p.{_quoted(parent_column)} = c.{_quoted(child_column)})").fetchone()[0]
        marked.append(ForeignKey(key.child, key.parent, lacking > 0))
    profile.keys = marked


def read_profile(path: str, golds: Sequence[str]) -> Profile:
    """The profile of the DuckDB file at ``path`` for the gold queries ``golds`` (DuckDB SQL, clock frozen)."""
    import duckdb

    connection = duckdb.connect()
    try:
        escaped = path.replace("'", "''")
        connection.execute(f"ATTACH '{escaped}' AS src (READ_ONLY)")
        connection.execute("SET enable_external_access = false")  # the file is open: nothing else may be
        connection.execute("SET lock_configuration = true")
        tables = _tables(connection)
        for table in tables.values():
            _sample(connection, table)
        profile = Profile(tables, _declared_keys(connection, tables))
        reader = _Reader(profile, _constant_evaluator(duckdb.connect(config={"enable_external_access": False})))
        for source, sql in enumerate(golds):
            reader.read(sql, source)
        _unique_in_data(connection, profile, {ref for pair in reader.pairs for ref in pair})
        _keys_from_joins(profile, reader.pairs)
        _dangling(connection, profile)
        return profile
    finally:
        connection.close()


def boundary_values(boundary: Boundary) -> list[Any]:
    """The boundary's value and its neighbours, as text or Python values the column's type will cast: on, just
    beside and well beyond it; for a LIKE pattern, texts that match it in each place and case."""
    value = boundary.value
    if boundary.like and isinstance(value, str):
        core = value.strip("%_")
        return [core, f"a{core}", f"{core}a", f"a{core}a", core.upper(), core.capitalize(), core.lower(), ""]
    if isinstance(value, bool):
        return [True, False]
    if isinstance(value, int):
        around: list[Any] = [value - 1, value, value + 1, value * 10 + 7]
        if 1800 <= value <= 2200:  # a year compared with a date column's part
            around += [f"{value}-01-01", f"{value - 1}-12-31", f"{value}-12-31", f"{value + 1}-01-01"]
        return around
    if isinstance(value, float | Decimal):
        step = Decimal(1).scaleb(value.as_tuple().exponent) if isinstance(value, Decimal) else 0.01  # type: ignore[arg-type]
        return [value - step, value, value + step, value - 1, value + 1]  # type: ignore[operator]
    if isinstance(value, dt.datetime):
        second, day = dt.timedelta(seconds=1), dt.timedelta(days=1)
        return [value, value - second, value + second, value - day, value + day, value + dt.timedelta(hours=12)]
    if isinstance(value, dt.date):
        day = dt.timedelta(days=1)
        start = dt.datetime.combine(value, dt.time())
        return [value, value - day, value + day, start + dt.timedelta(hours=12), start - dt.timedelta(seconds=1)]
    if isinstance(value, str):
        return _text_neighbours(value)
    return [value]


def _text_neighbours(value: str) -> list[Any]:
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(value, form)
        except ValueError:
            continue
        step = dt.timedelta(seconds=1) if " " in value else dt.timedelta(days=1)
        return [value, parsed - step, parsed + step, parsed + dt.timedelta(hours=12), parsed - dt.timedelta(days=1)]
    try:
        month = dt.datetime.strptime(value, "%Y-%m")
        return [value, month, month - dt.timedelta(days=1), month + dt.timedelta(days=27)]
    except ValueError:
        pass
    return [value, value.upper(), value.lower(), value.capitalize(), f"{value} ", f"{value}x"]


def grouped(boundaries: Iterable[Boundary]) -> dict[ColumnRef, list[Boundary]]:
    """Boundaries by the column they are compared with."""
    by_column: dict[ColumnRef, list[Boundary]] = defaultdict(list)
    for boundary in boundaries:
        by_column[boundary.column].append(boundary)
    return dict(by_column)
