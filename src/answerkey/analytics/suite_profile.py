"""What a test suite's fuzzer knows of the real database and of the golden set's queries.

Read once per warehouse: every base table's columns (type, nullable, unique), keyed by (schema, table), a sample
of whole rows and of each column's distinct values; every view's definition (candidates recreate it, and a gold
that reads a view is read through it to the tables beneath); keys (declared, or read off the golds' equi-joins: a
column equal to a unique column refers to it); and the boundaries the golds test (every constant a column is
compared with, evaluated, so that ``CURRENT_DATE - INTERVAL 10 DAY`` frozen at the run's instant is a date like
any literal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from answerkey.analytics.sql import parse_one

__all__ = ["Boundary", "ColumnInfo", "ForeignKey", "Profile", "TableInfo", "ViewInfo", "read_profile"]

ROW_SAMPLE = 200
"""Whole rows sampled per table (the fuzzer recombines them)."""
DISTINCT_SAMPLE = 40
"""Distinct values sampled per column."""
TableKey = tuple[str, str]
"""(schema, table), lower case."""
ColumnRef = tuple[TableKey, str]
"""((schema, table), column), lower case."""
DEFAULT_SCHEMA = "main"
"""Where DuckDB looks for a table named without its schema."""


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

    @property
    def key(self) -> TableKey:
        """(schema, table), lower case: how the profile names this table."""
        return (self.schema.lower(), self.name.lower())

    def index(self, column: str) -> int:
        """The position of ``column`` (any case)."""
        return next(i for i, c in enumerate(self.columns) if c.name.lower() == column)


@dataclass(frozen=True)
class ViewInfo:
    """One view: where it lives and the statement that makes it (``CREATE VIEW ...``, as DuckDB keeps it)."""

    schema: str
    name: str
    sql: str

    @property
    def key(self) -> TableKey:
        """(schema, view), lower case."""
        return (self.schema.lower(), self.name.lower())


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

    tables: dict[TableKey, TableInfo]
    keys: list[ForeignKey] = field(default_factory=list)
    boundaries: list[Boundary] = field(default_factory=list)
    links: list[tuple[ColumnRef, ColumnRef]] = field(default_factory=list)
    """Columns the golds compare for equality with no key between them: they share their values."""
    read: set[TableKey] = field(default_factory=set)
    """Tables the golds read (through the views they read)."""
    views: list[ViewInfo] = field(default_factory=list)
    """The views, in an order each can be made in (a view after the views it reads)."""

    def schema(self) -> dict[str, object]:
        """Schema -> table -> column -> type, as sqlglot's qualifier takes it."""
        nested: dict[str, dict[str, object]] = defaultdict(dict)
        for (schema, name), table in self.tables.items():
            nested[schema][name] = {c.name.lower(): c.type for c in table.columns}
        return dict(nested)

    def resolve(self, name: str, schema: str = "", near: str = DEFAULT_SCHEMA) -> TableKey:
        """The table or view a query names: in ``schema`` when given, else in ``near`` (the schema DuckDB looks
        in first), else the one of that name in any schema when only one has it."""
        name, known = name.lower(), set(self.tables) | {view.key for view in self.views}
        if schema:
            return (schema.lower(), name)
        for first in (near.lower(), DEFAULT_SCHEMA):
            if (first, name) in known:
                return (first, name)
        anywhere = [key for key in known if key[1] == name]
        return anywhere[0] if len(anywhere) == 1 else (DEFAULT_SCHEMA, name)

    def column(self, ref: ColumnRef) -> ColumnInfo | None:
        """The column ``ref`` names, if it exists."""
        table = self.tables.get(ref[0])
        return next((c for c in table.columns if c.name.lower() == ref[1]), None) if table else None


def quoted(name: str) -> str:
    """A name as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def _tables(connection: Any) -> dict[TableKey, TableInfo]:
    """The base tables and their columns (a view has no rows of its own to sample: candidates recreate it)."""
    rows = connection.execute(
        "SELECT schema_name, table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = 'src' AND (schema_name, table_name) IN (SELECT (schema_name, table_name) "
        "FROM duckdb_tables() WHERE database_name = 'src') ORDER BY schema_name, table_name, column_index").fetchall()
    unique: set[ColumnRef] = set()
    for schema, table, names in connection.execute(
            "SELECT schema_name, table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE database_name = 'src' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall():
        if len(names) == 1:
            unique.add(((schema.lower(), table.lower()), names[0].lower()))
    tables: dict[TableKey, TableInfo] = {}
    for schema, table, column, kind, nullable in rows:
        info = tables.setdefault((schema.lower(), table.lower()), TableInfo(schema, table, [], 0))
        info.columns.append(ColumnInfo(column, kind, bool(nullable), (info.key, column.lower()) in unique))
    return tables


def _views(connection: Any) -> list[ViewInfo]:
    """Every view the warehouse defines, a view after the views it reads (the order they were made in)."""
    rows = connection.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = 'src' AND NOT internal "
        "AND NOT temporary ORDER BY view_oid").fetchall()
    return [ViewInfo(schema, name, sql) for schema, name, sql in rows]


def _sample(connection: Any, table: TableInfo) -> None:
    """Row count, a repeatable sample of whole rows, and each column's distinct values (up to a cap)."""
    qualified = f"src.{quoted(table.schema)}.{quoted(table.name)}"
    table.rows = connection.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
    if not table.rows:
        return
    table.sample = connection.execute(
        f"SELECT * FROM {qualified} ORDER BY hash(rowid) LIMIT {ROW_SAMPLE}").fetchall()
    for column in table.columns:
        name = quoted(column.name)
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
        qualified = f"src.{quoted(table.schema)}.{quoted(table.name)}"
        distinct = connection.execute(
            f"SELECT count(DISTINCT {quoted(column.name)}) = count(*) AND count(*) = {table.rows} "
            f"FROM {qualified}").fetchone()[0]
        if distinct:
            position = table.index(ref[1])
            table.columns[position] = ColumnInfo(column.name, column.type, column.nullable, True)


def _declared_keys(connection: Any, tables: dict[TableKey, TableInfo]) -> list[ForeignKey]:
    """The single-column foreign keys the warehouse declares (DuckDB's refer to a table of the same schema)."""
    try:
        rows = connection.execute(
            "SELECT schema_name, table_name, constraint_column_names, referenced_table, referenced_column_names "
            "FROM duckdb_constraints() WHERE database_name = 'src' AND constraint_type = 'FOREIGN KEY'").fetchall()
    except Exception:  # an engine without referenced_table: keys come from the golds alone
        return []
    keys = []
    for schema, table, names, parent, parent_names in rows:
        child_key, parent_key = (schema.lower(), table.lower()), (schema.lower(), (parent or "").lower())
        if len(names) == 1 and parent and len(parent_names or []) == 1 and parent_key in tables:
            keys.append(ForeignKey((child_key, names[0].lower()), (parent_key, parent_names[0].lower())))
    return keys


class _Reader:
    """Reads the golds: which columns meet which constants, and which columns are joined."""

    def __init__(self, profile: Profile, evaluate: Any) -> None:
        self.profile = profile
        self.evaluate = evaluate
        self.pairs: set[tuple[ColumnRef, ColumnRef]] = set()
        self.source = -1
        self.views = {view.key: view for view in profile.views}

    def read(self, sql: str, source: int) -> None:
        self.source = source
        try:
            tree = qualify(self._expanded(parse_one(sql, "duckdb")), schema=self.profile.schema(), dialect="duckdb",
                           validate_qualify_columns=False, quote_identifiers=False)
            scopes = traverse_scope(tree)
        except (SqlglotError, RecursionError, KeyError, ValueError, TypeError, AttributeError):
            return
        for scope in scopes:
            self.profile.read.update(_key(s) for s in scope.sources.values() if isinstance(s, exp.Table))
            for node in scope.walk():  # this scope's nodes only: a subquery is a scope of its own
                self._node(node, scope)

    def _expanded(self, tree: exp.Expr, near: str = DEFAULT_SCHEMA, depth: int = 0) -> exp.Expr:
        """``tree`` with every table named in full (looked up from ``near``) and every view it reads replaced by
        the view's query, so that a gold on a view is read down to the tables beneath, as the engine runs it."""
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            if not isinstance(table.this, exp.Identifier) or (not table.db and table.name.lower() in ctes):
                continue
            key = self.profile.resolve(table.name, table.db, near)
            table.set("db", exp.to_identifier(key[0]))
            view = self.views.get(key)
            made = _view_query(view) if view is not None and depth < 16 else None
            if made is not None:
                body = self._expanded(made[0], key[0], depth + 1)
                alias = exp.TableAlias(this=exp.to_identifier(table.alias or table.name),
                                       columns=[exp.to_identifier(c) for c in made[1]] or None)
                table.replace(exp.Subquery(this=body, alias=alias))
        return tree

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
        elif isinstance(node, exp.Case) and node.this is not None:  # CASE col WHEN 'a' ...: col = 'a', ...
            ref = self._ref(node.this, scope)
            for branch in node.args.get("ifs") or []:
                self._add(ref, branch.this)
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
        return (_key(source), column.name.lower())
    if isinstance(source, Scope) and isinstance(source.expression, exp.Select) and depth < 16:
        for projection in source.expression.expressions:
            if projection.alias_or_name.lower() == column.name.lower():
                inner = projection.unalias()
                return _origin(source, inner, depth + 1) if isinstance(inner, exp.Column) else None
    return None


def _key(table: exp.Table) -> TableKey:
    """(schema, table) of a table the reader has named in full."""
    return ((table.db or DEFAULT_SCHEMA).lower(), table.name.lower())


def _view_query(view: ViewInfo) -> tuple[exp.Expr, list[str]] | None:
    """The query a view runs and the names it gives the columns, if any; None when sqlglot cannot read it."""
    try:
        create = parse_one(view.sql, "duckdb")
    except (SqlglotError, RecursionError, ValueError):
        return None
    query = create.expression if isinstance(create, exp.Create) else None
    if not isinstance(query, exp.Query):
        return None
    names = [e.name for e in create.this.expressions] if isinstance(create.this, exp.Schema) else []
    return query, names


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
            f"SELECT count(*) FROM src.{quoted(child.schema)}.{quoted(child.name)} c WHERE "
            f"c.{quoted(child_column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM src.{quoted(parent.schema)}."
            f"{quoted(parent.name)} p WHERE p.{quoted(parent_column)} = c.{quoted(child_column)})").fetchone()[0]
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
        profile = Profile(tables, _declared_keys(connection, tables), views=_views(connection))
        reader = _Reader(profile, _constant_evaluator(duckdb.connect(config={"enable_external_access": False})))
        for source, sql in enumerate(golds):
            reader.read(sql, source)
        _unique_in_data(connection, profile, {ref for pair in reader.pairs for ref in pair})
        _keys_from_joins(profile, reader.pairs)
        _dangling(connection, profile)
        return profile
    finally:
        connection.close()
