"""SQL read with sqlglot, and a warehouse that only ever reads: refusals, errors, timeouts, caching."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.sql import (
    expand_alternatives,
    has_top_level_order_by,
    order_key_query,
    refusal,
    split_statements,
    unparseable,
)
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


def test_text_no_parser_reads_is_told_apart_from_sql_that_may_not_run() -> None:
    why = unparseable("SELEC COUNT(*) FROM t", "duckdb")
    assert why is not None
    assert why.startswith("not parseable SQL: ")
    assert refusal("SELEC COUNT(*) FROM t", "duckdb") == why  # refusal() still stops it: it is never executed
    assert unparseable("DROP TABLE t", "duckdb") is None
    assert unparseable("SELECT 1 /* unclosed", "duckdb") is not None


def test_unparseable_answers_are_errors_with_the_parsers_message_and_never_run(warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("SELEC COUNT(*) FROM t")
    assert caught.value.kind == "error"
    assert caught.value.reason.startswith("not parseable SQL: Invalid expression / Unexpected token")
    deep = "SELECT " + "(SELECT " * 300 + "1" + ")" * 300
    with pytest.raises(ExecutionError) as nested:
        warehouse.execute(deep)
    assert (nested.value.kind, nested.value.reason) == ("error", "not parseable SQL: nested too deeply")


@pytest.mark.parametrize("sql", ["SELECT id FROM t\x00", 'SELECT U&"id" FROM t', "DELETE FROM t",
                                 "SELECT 1; SELECT 2", "SELECT * FROM read_csv('x.csv')"])
def test_what_parses_but_may_not_run_and_hidden_text_are_still_refused(warehouse: Warehouse, sql: str) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute(sql)
    assert caught.value.kind == "refused"


@pytest.mark.parametrize(("sql", "keys"), [
    ("SELECT id, k FROM t ORDER BY 2 DESC, 1 LIMIT 4", [(2, 2), (2, 5), (2, 8), (1, 1)]),
    ("SELECT id, k * 10 AS tens FROM t ORDER BY tens, id DESC LIMIT 2", [(0, 9), (0, 6)]),
    ("SELECT k AS id, id AS k FROM t ORDER BY id, k LIMIT 2", [(0, 0), (0, 3)]),
    ("SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY count(*) + 1 DESC, k LIMIT 1", [(5, 0)]),
])
def test_order_keys_are_the_expressions_positions_and_aliases_stand_for(warehouse: Warehouse, sql: str,
                                                                       keys: list[tuple[int, ...]]) -> None:
    keyed = order_key_query(sql, "duckdb")
    assert keyed is not None
    text, width, limit = keyed
    assert (width, limit) == (2, len(keys))
    assert [row[width:] for row in warehouse.execute(text).rows] == keys


def test_an_unlimited_key_query_returns_every_row_and_the_original_limit(warehouse: Warehouse) -> None:
    keyed = order_key_query("SELECT id FROM t ORDER BY k LIMIT 2", "duckdb", unlimited=True)
    assert keyed is not None
    rows = warehouse.execute(keyed[0]).rows
    assert (len(rows), keyed[1], keyed[2]) == (10, 1, 2)
    assert rows[2][1] == rows[1][1] == 0  # the LIMIT cut a tie: the third row has the second's key
    plus_one = order_key_query("SELECT id FROM t ORDER BY k LIMIT 2", "duckdb", extra_rows=True)
    assert plus_one is not None
    assert len(warehouse.execute(plus_one[0]).rows) == 3


@pytest.mark.parametrize("sql", ["SELECT DISTINCT k FROM t ORDER BY k", "SELECT * FROM t ORDER BY k",
                                 "SELECT id FROM t ORDER BY 3", "SELECT id FROM t", "SELECT id FROM t ORDER BY id "
                                 "LIMIT (SELECT 2)",
                                 # an alias inside an expression: the alias or a column of that name?
                                 "SELECT id, k + 1 AS k FROM t ORDER BY k * 2 LIMIT 2"])
def test_a_key_query_is_not_made_where_it_would_change_the_rows(sql: str) -> None:
    assert order_key_query(sql, "duckdb") is None


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
