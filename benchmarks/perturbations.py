"""The perturbation baseline that distilled test suites replaced, kept for ``bench_test_suite.py`` to compare with:
judge an answer on perturbed copies of the database too.

On the real data, ``amount > 100`` and ``amount >= 100`` agree when no row holds exactly 100, and a filter left
out changes nothing when no row fails it. Each question's queries are read with sqlglot for the literals they
compare columns with (``=``, ``<``, ``>``, ``BETWEEN``, ``IN``, ``LIKE``), and copies of the database are made
(never the warehouse itself; DuckDB files only):

- ``boundary``: rows added whose value sits on, just beside and outside each literal (and outside each IN list);
  each new row copies an existing row, with fresh values in columns that were unique, so keys stay keys;
- ``dropped``: a share of each table's rows removed;
- ``nulls``: NULLs written into nullable columns the queries read (never into a NOT NULL column, where
  ``COUNT(*)`` and ``COUNT(col)`` are truly equal).

An answer passes only when it equals the gold on the real data and on every copy where the gold runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from answerkey.analytics.sql import parse_one
from answerkey.errors import ParameterError

__all__ = ["Literal", "Perturbation", "literals", "perturbed_databases"]

COPIES_WITH_BOUNDARIES = 3
DROP_SHARE = 0.3
NULL_SHARE = 0.2


@dataclass(frozen=True)
class Literal:
    """A column compared with a constant in a query: ``table.column`` (table None when unknown) and value."""

    table: str | None
    column: str
    value: Any


@dataclass(frozen=True)
class Perturbation:
    """A perturbed copy of the database and what was done to it."""

    name: str
    description: str
    path: Path


def _value(node: exp.Expr) -> Any:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        return int(text) if text.lstrip("-").isdigit() else float(text)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        inner = _value(node.this)
        return -inner if isinstance(inner, int | float) else None
    if isinstance(node, exp.Cast | exp.TsOrDsToDate) and isinstance(node.this, exp.Literal):
        return _value(node.this)
    return None


def literals(sql: str, dialect: str | None = None) -> list[Literal]:
    """Every column-versus-constant comparison of a query, tables resolved through aliases where possible."""
    try:
        tree = parse_one(sql, dialect)
    except SqlglotError:
        return []
    aliases = {(t.alias_or_name or t.name).lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    found: list[Literal] = []

    def add(column: exp.Expr, value: Any) -> None:
        if isinstance(column, exp.Column) and value is not None:
            table = aliases.get(column.table.lower()) if column.table else None
            found.append(Literal(table, column.name.lower(), value))

    for node in tree.walk():
        if isinstance(node, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.EQ | exp.NEQ | exp.Like | exp.ILike):
            left, right = node.left, node.right
            if isinstance(left, exp.Column):
                add(left, _value(right))
            elif isinstance(right, exp.Column):
                add(right, _value(left))
        elif isinstance(node, exp.Between):
            add(node.this, _value(node.args["low"]))
            add(node.this, _value(node.args["high"]))
        elif isinstance(node, exp.In):
            for item in node.expressions:
                add(node.this, _value(item))
    return found


def _neighbours(value: Any, column_type: str) -> list[Any]:
    """The literal, values just beside it, and one well outside (in the column's type)."""
    kind = column_type.upper()
    if isinstance(value, str) and any(k in kind for k in ("DATE", "TIMESTAMP")):
        try:
            day = dt.datetime.fromisoformat(value.replace("%", ""))
        except ValueError:
            return [value]
        step = dt.timedelta(days=1) if "TIMESTAMP" not in kind else dt.timedelta(seconds=1)
        return [day, day - step, day + step, day + dt.timedelta(days=400)]
    if isinstance(value, int | float | Decimal) or kind.startswith(("INT", "BIGINT", "SMALLINT", "DECIMAL",
                                                                    "DOUBLE", "FLOAT", "REAL", "NUMERIC", "HUGEINT")):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return []
        delta = 1.0 if "INT" in kind else max(abs(number) * 1e-3, 0.01)
        return [number, number - delta, number + delta, number * 10 + 1000]
    text = str(value).replace("%", "")
    return [text, text + "~", "~" + text, text.upper() if text.upper() != text else text.lower()]


@contextmanager
def _copy(source: Path, target: Path) -> Iterator[Any]:
    """A writable copy of a DuckDB file's tables (schemas kept), as an open connection."""
    import duckdb

    connection = duckdb.connect(str(target))
    try:
        connection.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'src'").fetchall()
        for schema, table in tables:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            connection.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM src."{schema}"."{table}"')
        yield connection
        connection.execute("DETACH src")
    finally:
        connection.close()


def _columns(connection: Any) -> dict[tuple[str, str], list[tuple[str, str, bool]]]:
    """(schema, table) -> [(column, type, nullable)] of the source database."""
    rows = connection.execute(
        "SELECT schema_name, table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = 'src' ORDER BY schema_name, table_name, column_index").fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    for schema, table, column, kind, nullable in rows:
        tables.setdefault((schema, table), []).append((column, kind, bool(nullable)))
    return tables


def _read_tables(sqls: Sequence[str], dialect: str | None) -> set[str]:
    names: set[str] = set()
    for sql in sqls:
        try:
            names.update(t.name.lower() for t in parse_one(sql, dialect).find_all(exp.Table))
        except SqlglotError:
            continue
    return names


def _insert_boundary_rows(connection: Any, tables: dict[tuple[str, str], list[tuple[str, str, bool]]],
                          found: Sequence[Literal], rng: random.Random) -> int:
    """For each literal, rows copying a random existing row with the column set on and around the literal."""
    import duckdb

    added = 0
    for (schema, table), columns in tables.items():
        names = {c.lower(): (c, kind) for c, kind, _ in columns}
        targets = [lit for lit in found if lit.column in names and (lit.table in (None, table.lower()))]
        if not targets:
            continue
        qualified = f'"{schema}"."{table}"'
        count = connection.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
        if count == 0:
            continue
        unique = [c for c, _, _ in columns if connection.execute(
            f'SELECT count(DISTINCT "{c}") = count(*) AND count(*) = count("{c}") FROM {qualified}').fetchone()[0]]
        for literal in targets:
            column, kind = names[literal.column]
            for value in _neighbours(literal.value, kind):
                offset = rng.randrange(count)
                row = connection.execute(f"SELECT * FROM {qualified} LIMIT 1 OFFSET {offset}").fetchone()
                values = list(row)
                for position, (name, name_kind, _) in enumerate(columns):
                    if name == column:
                        values[position] = value
                    elif name in unique:
                        values[position] = _fresh(connection, qualified, name, name_kind, added, values[position])
                try:
                    connection.execute(f"INSERT INTO {qualified} VALUES ({', '.join('?' * len(values))})", values)
                    added += 1
                except duckdb.Error:  # a value the column cannot hold is simply not added
                    continue
    return added


def _fresh(connection: Any, qualified: str, column: str, kind: str, salt: int, current: Any) -> Any:
    """A value not yet in a unique column: past the maximum for numbers and dates, a new text for text; other
    types keep the copied value."""
    upper = kind.upper()
    if any(k in upper for k in ("INT", "DECIMAL", "DOUBLE", "FLOAT", "NUMERIC", "REAL")):
        top = connection.execute(f'SELECT max("{column}") FROM {qualified}').fetchone()[0]
        return (top or 0) + 1
    if "DATE" in upper or "TIMESTAMP" in upper:
        top = connection.execute(f'SELECT max("{column}") FROM {qualified}').fetchone()[0]
        return None if top is None else top + dt.timedelta(days=1)
    if "CHAR" in upper or "TEXT" in upper or "STRING" in upper:
        return f"answerkey-{salt}-{hashlib.blake2b(str(salt).encode(), digest_size=4).hexdigest()}"
    return current


def perturbed_databases(source: str | Path, sqls: Sequence[str], dialect: str | None, folder: str | Path,
                        seed: int = 0) -> list[Perturbation]:
    """Perturbed copies of ``source`` for the queries ``sqls`` (gold and answer), written into ``folder``."""
    source = Path(source)
    if source.suffix.lower() not in (".duckdb", ".db") and not source.is_file():
        raise ParameterError(f"test-suite mode needs a DuckDB file warehouse; got {source}")
    found = [lit for sql in sqls for lit in literals(sql, dialect)]
    read = _read_tables(sqls, dialect)
    folder = Path(folder)
    made: list[Perturbation] = []
    for copy in range(COPIES_WITH_BOUNDARIES if found else 0):
        path = folder / f"boundary-{copy}.duckdb"
        with _copy(source, path) as connection:
            tables = _columns(connection)
            added = _insert_boundary_rows(connection, tables, found, random.Random(seed * 1000 + copy))
        made.append(Perturbation(f"boundary-{copy}", f"{added} rows added on and around the literals "
                                 + ", ".join(sorted({f'{lit.column} {lit.value!r}' for lit in found})[:6]), path))
    path = folder / "dropped.duckdb"
    with _copy(source, path) as connection:
        connection.execute(f"SELECT setseed({(seed % 1000) / 1000})")
        for (schema, table), _ in _columns(connection).items():
            if table.lower() in read:
                connection.execute(f'DELETE FROM "{schema}"."{table}" WHERE random() < {DROP_SHARE}')
    made.append(Perturbation("dropped", f"{DROP_SHARE:.0%} of the rows of {', '.join(sorted(read))} removed", path))
    path = folder / "nulls.duckdb"
    nulled: list[str] = []
    with _copy(source, path) as connection:
        connection.execute(f"SELECT setseed({(seed % 1000) / 1000})")
        for (schema, table), columns in _columns(connection).items():
            if table.lower() not in read:
                continue
            for column, _, nullable in columns:
                if nullable:
                    connection.execute(f'UPDATE "{schema}"."{table}" SET "{column}" = NULL '
                                       f"WHERE random() < {NULL_SHARE}")
                    nulled.append(f"{table}.{column}")
    if nulled:
        made.append(Perturbation("nulls", f"NULLs in {len(nulled)} nullable columns", path))
    return made


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """Where perturbed copies live while a question is judged."""
    return tempfile.TemporaryDirectory(prefix="answerkey-test-suite-")


def duckdb_path(url: str) -> Path:
    """The file behind a ``duckdb:///`` warehouse URL."""
    return Path(url.removeprefix("duckdb:///").removeprefix("duckdb://"))
