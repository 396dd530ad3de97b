"""SQL read with sqlglot, and a warehouse that only ever reads: refusals, errors, timeouts, caching."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.sql import expand_alternatives, has_top_level_order_by, refusal, split_statements
from answerkey.analytics.warehouse import ExecutionError, Warehouse, open_warehouse
from answerkey.errors import ParameterError


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE t AS SELECT range AS id, range % 3 AS k FROM range(10)")
    return open_warehouse(f"duckdb:///{path}", timeout_s=0.5)


@pytest.mark.parametrize(("sql", "ordered"), [
    ("SELECT a FROM t ORDER BY a", True),
    ("SELECT * FROM (SELECT a FROM t ORDER BY a) s", False),
    ("SELECT rank() OVER (ORDER BY a) FROM t", False),
    ("SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1", True),
    ("WITH x AS (SELECT a FROM t ORDER BY a) SELECT * FROM x", False),
    ("SELECT 'ORDER BY' FROM t", False),
])
def test_only_an_order_by_on_the_outermost_query_counts(sql: str, ordered: bool) -> None:
    assert has_top_level_order_by(sql) is ordered


@pytest.mark.parametrize("sql", [
    "DROP TABLE t", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
    "CREATE TABLE x AS SELECT 1", "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "SELECT 1; SELECT 2",
    "ATTACH 'other.db'", "COPY t TO 'out.csv'", "SET threads = 1", "INSTALL httpfs", "", "SELEC 1 FROM",
])
def test_anything_but_one_read_only_query_is_refused(sql: str) -> None:
    assert refusal(sql, "duckdb") is not None


def test_a_plain_query_is_not_refused() -> None:
    assert refusal("WITH x AS (SELECT 1 AS a) SELECT a FROM x ORDER BY a", "duckdb") is None


def test_column_alternatives_expand_to_every_non_empty_subset_and_repeat_in_empty_braces() -> None:
    assert expand_alternatives("SELECT {a.x, a.y}, sum(z) FROM a GROUP BY {}") == [
        "SELECT a.x, sum(z) FROM a GROUP BY a.x", "SELECT a.y, sum(z) FROM a GROUP BY a.y",
        "SELECT a.x, a.y, sum(z) FROM a GROUP BY a.x, a.y"]
    assert expand_alternatives("SELECT 1") == ["SELECT 1"]


def test_statements_split_on_semicolons_outside_quotes() -> None:
    assert split_statements("SELECT ';' FROM t; SELECT 2;;") == ["SELECT ';' FROM t", "SELECT 2"]


def test_the_warehouse_returns_columns_and_rows(warehouse: Warehouse) -> None:
    result = warehouse.execute("SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY k")
    assert result.columns == ["k", "n"]
    assert result.rows == [(0, 4), (1, 3), (2, 3)]


def test_writes_are_refused_before_they_reach_the_database(warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("DELETE FROM t")
    assert caught.value.kind == "refused"
    assert warehouse.execute("SELECT count(*) FROM t").rows == [(10,)]


def test_local_files_cannot_be_read_through_a_query(warehouse: Warehouse, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(ExecutionError) as refused:
        warehouse.execute(f"SELECT * FROM read_csv('{secret}')")  # a table function off the allow-list
    assert refused.value.kind == "refused"
    with pytest.raises(ExecutionError) as denied:
        warehouse.execute(f"SELECT * FROM '{secret}'")  # a replacement scan: DuckDB's external access is off
    assert denied.value.kind == "error"
    assert "disabled" in denied.value.reason


def test_a_query_that_runs_too_long_times_out(warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("SELECT count(*) FROM range(100000000000) a")
    assert caught.value.kind == "timeout"


def test_an_error_names_the_database_complaint_and_is_cached(warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError, match="nope"):
        warehouse.execute("SELECT nope FROM t")
    assert ("SELECT nope FROM t", warehouse.fingerprint) in warehouse._cache


def test_a_missing_duckdb_file_is_a_parameter_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="no DuckDB file"):
        open_warehouse(str(tmp_path / "none.duckdb"))


def test_a_runaway_query_on_a_sqlite_warehouse_times_out(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id integer)")
    warehouse = open_warehouse(f"sqlite:///{path}", timeout_s=0.5)
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
    assert caught.value.kind == "timeout"
    assert warehouse.execute("SELECT count(*) FROM t").rows == [(0,)]
