"""Warehouses of every shape make a test suite's candidates: views are kept as views, tables of one name in two
schemas stay apart, and boundary neighbours keep the shape of a text column's real values."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.suite_boundaries import boundary_values
from answerkey.analytics.suite_databases import shapes, typed_boundaries, write_candidate
from answerkey.analytics.suite_profile import Boundary, Profile, ViewInfo, read_profile
from answerkey.errors import AnswerkeyError


def _warehouse(folder: Path, *statements: str) -> str:
    path = folder / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        for statement in statements:
            connection.execute(statement)
    return str(path)


def _candidates(profile: Profile, folder: Path, count: int = 4) -> list[Path]:
    with duckdb.connect() as connection:
        typed = typed_boundaries(connection, profile)
    written = []
    for shape in shapes(count):
        target = folder / f"candidate-{shape.seed}.duckdb"
        write_candidate(profile, shape, typed, target)
        written.append(target)
    return written


def _run(path: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


ORDERS = ("CREATE TABLE orders(id INTEGER PRIMARY KEY, amount INTEGER)",
          "INSERT INTO orders SELECT i, i * 10 FROM range(1, 30) t(i)")


def test_a_warehouse_with_views_profiles_its_base_tables_only(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, *ORDERS, "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100")
    profile = read_profile(path, ["SELECT count(*) FROM big_orders WHERE amount >= 150"])
    assert list(profile.tables) == [("main", "orders")]
    assert [view.name for view in profile.views] == ["big_orders"]


def test_a_gold_on_a_view_reads_the_view_s_base_table_and_its_boundaries(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, *ORDERS, "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100")
    profile = read_profile(path, ["SELECT count(*) FROM big_orders WHERE amount >= 150"])
    assert ("main", "orders") in profile.read
    assert {b.value for b in profile.boundaries if b.column == (("main", "orders"), "amount")} >= {150}


def test_candidates_recreate_views_consistent_with_their_base_tables(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, *ORDERS, "CREATE SCHEMA s", "CREATE TABLE s.orders(id INTEGER, amount INTEGER)",
                      "INSERT INTO s.orders VALUES (1, 1000)",
                      "CREATE VIEW z_big AS SELECT * FROM orders WHERE amount > 100",
                      "CREATE VIEW a_biggest AS SELECT max(amount) AS top FROM z_big",
                      "CREATE VIEW s.local AS SELECT * FROM orders")
    profile = read_profile(path, ["SELECT count(*) FROM z_big", "SELECT * FROM a_biggest",
                                  "SELECT * FROM s.local"])
    for candidate in _candidates(profile, tmp_path):
        assert _run(candidate, "SELECT count(*) FROM z_big") == _run(
            candidate, "SELECT count(*) FROM orders WHERE amount > 100")
        assert _run(candidate, "SELECT * FROM a_biggest") == _run(
            candidate, "SELECT max(amount) FROM orders WHERE amount > 100")
        assert _run(candidate, "SELECT count(*) FROM s.local") == _run(candidate, "SELECT count(*) FROM s.orders")


def test_a_view_that_cannot_be_recreated_is_an_error_naming_it(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, *ORDERS)
    profile = read_profile(path, ["SELECT count(*) FROM orders"])
    profile.views.append(ViewInfo("main", "broken", "CREATE VIEW broken AS SELECT * FROM nowhere;"))
    with pytest.raises(AnswerkeyError, match="broken"):
        _candidates(profile, tmp_path, count=1)


TWO_SCHEMAS = ("CREATE SCHEMA s", "CREATE TABLE t(id INT, v INT)", "INSERT INTO t SELECT i, i % 7 FROM range(20) r(i)",
               "CREATE TABLE s.t(a VARCHAR, b VARCHAR, c VARCHAR)",
               "INSERT INTO s.t SELECT 'a' || i, 'b' || i, 'c' || i FROM range(20) r(i)")


def test_tables_of_one_name_in_two_schemas_stay_apart(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, *TWO_SCHEMAS)
    profile = read_profile(path, ["SELECT count(*) FROM t WHERE v = 3", "SELECT count(*) FROM s.t WHERE a = 'a5'"])
    assert [c.name for c in profile.tables[("main", "t")].columns] == ["id", "v"]
    assert [c.name for c in profile.tables[("s", "t")].columns] == ["a", "b", "c"]
    assert profile.read == {("main", "t"), ("s", "t")}
    columns = {b.column for b in profile.boundaries}
    assert columns == {(("main", "t"), "v"), (("s", "t"), "a")}


def test_golds_on_both_schemas_run_on_every_candidate(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, *TWO_SCHEMAS)
    golds = ["SELECT count(*) FROM t WHERE v = 3", "SELECT count(*) FROM s.t WHERE a = 'a5'"]
    profile = read_profile(path, golds)
    for candidate in _candidates(profile, tmp_path):
        for gold in golds:
            assert _run(candidate, gold)
    with duckdb.connect() as connection:
        typed = typed_boundaries(connection, profile)
    written = write_candidate(profile, shapes(1)[0], typed, tmp_path / "labelled.duckdb")
    assert set(written) == {"main.t", "s.t"}


def test_a_single_schema_other_than_main_keeps_its_tables_and_names(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, "CREATE SCHEMA consumer_div",
                      "CREATE TABLE consumer_div.users(uid BIGINT PRIMARY KEY, status VARCHAR)",
                      "INSERT INTO consumer_div.users SELECT i, 'active' FROM range(10) r(i)")
    profile = read_profile(path, ["SELECT count(*) FROM consumer_div.users WHERE status = 'active'"])
    assert profile.read == {("consumer_div", "users")}
    with duckdb.connect() as connection:
        typed = typed_boundaries(connection, profile)
    written = write_candidate(profile, shapes(1)[0], typed, tmp_path / "candidate.duckdb")
    assert written == {"users": shapes(1)[0].size}


def _neighbours(value: str, real: list[object]) -> list[object]:
    return boundary_values(Boundary((("main", "t"), "code"), value), real)


def test_neighbours_of_a_numeric_text_are_numbers_beside_it() -> None:
    neighbours = _neighbours("12", ["7", "12", "30", "115"])
    assert {"11", "12", "13"} <= set(neighbours)
    assert all(str(v).isdigit() for v in neighbours)


def test_neighbours_of_a_zero_padded_numeric_text_keep_its_width() -> None:
    neighbours = _neighbours("012", ["007", "012", "030"])
    assert {"011", "012", "013"} <= set(neighbours)
    assert all(len(str(v)) >= 3 and str(v).isdigit() for v in neighbours)


def test_neighbours_of_a_date_in_text_are_dates_beside_it_in_the_same_form() -> None:
    neighbours = _neighbours("2024-01-10", ["2024-01-05", "2024-02-01"])
    assert {"2024-01-09", "2024-01-10", "2024-01-11"} <= set(neighbours)
    assert all(isinstance(v, str) and len(v) == 10 for v in neighbours)


def test_neighbours_of_free_text_are_unchanged() -> None:
    assert _neighbours("oral", ["oral", "topical"]) == _neighbours("oral", [])
    assert "oralx" in _neighbours("oral", ["oral", "topical"])


def test_a_right_answer_casting_a_numeric_text_runs_on_every_candidate(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, "CREATE TABLE codes(id INTEGER, code VARCHAR)",
                      "INSERT INTO codes SELECT i, CAST(i * 3 AS VARCHAR) FROM range(20) r(i)")
    profile = read_profile(path, ["SELECT count(*) FROM codes WHERE code = '12'",
                                  "SELECT count(*) FROM codes WHERE code LIKE '1%'"])
    for candidate in _candidates(profile, tmp_path, count=8):
        _run(candidate, "SELECT count(*) FROM codes WHERE CAST(code AS INTEGER) = 12")
    with duckdb.connect() as connection:
        typed = typed_boundaries(connection, profile)
    assert {"11", "12", "13"} <= set(typed[(("main", "codes"), "code")])
