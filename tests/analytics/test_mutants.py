"""Mutants: the near misses of a gold query, one small change each, written back as SQL that parses."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import sqlglot
from defog_data import DEFOG, defog_questions
from sqlglot.errors import ParseError

from answerkey.analytics.loading import load_postgres_dump
from answerkey.analytics.mutants import KINDS, MAX_MUTANTS, Mutant, mutants
from answerkey.analytics.sql import expand_alternatives
from answerkey.errors import ParameterError


def of_kind(sql: str, kind: str, dialect: str = "duckdb") -> list[str]:
    return [m.sql for m in mutants(sql, dialect) if m.kind == kind]


def test_each_comparison_becomes_each_of_its_neighbours() -> None:
    assert of_kind("SELECT a FROM t WHERE x > 1", "comparison") == [
        "SELECT a FROM t WHERE x >= 1", "SELECT a FROM t WHERE x < 1"]
    assert of_kind("SELECT a FROM t WHERE x >= 1", "comparison") == [
        "SELECT a FROM t WHERE x > 1", "SELECT a FROM t WHERE x <= 1"]
    assert of_kind("SELECT a FROM t WHERE x < 1", "comparison") == [
        "SELECT a FROM t WHERE x <= 1", "SELECT a FROM t WHERE x > 1"]
    assert of_kind("SELECT a FROM t WHERE x <= 1", "comparison") == [
        "SELECT a FROM t WHERE x < 1", "SELECT a FROM t WHERE x >= 1"]
    assert of_kind("SELECT a FROM t WHERE x = 1", "comparison") == [
        "SELECT a FROM t WHERE x <> 1", "SELECT a FROM t WHERE x >= 1", "SELECT a FROM t WHERE x <= 1"]
    assert of_kind("SELECT a FROM t WHERE x <> 1", "comparison") == ["SELECT a FROM t WHERE x = 1"]


def test_between_is_made_exclusive_on_each_side_in_parentheses_where_needed() -> None:
    assert of_kind("SELECT a FROM t WHERE y = 2 OR x BETWEEN 1 AND 5", "comparison")[-2:] == [
        "SELECT a FROM t WHERE y = 2 OR (x > 1 AND x <= 5)", "SELECT a FROM t WHERE y = 2 OR (x >= 1 AND x < 5)"]


def test_numbers_move_by_one_unit_of_their_last_digit() -> None:
    assert of_kind("SELECT a FROM t WHERE x > 1.50 AND y < -5", "literal") == [
        "SELECT a FROM t WHERE x > 1.49 AND y < -5", "SELECT a FROM t WHERE x > 1.51 AND y < -5",
        "SELECT a FROM t WHERE x > 1.50 AND y < -6", "SELECT a FROM t WHERE x > 1.50 AND y < -4"]


def test_row_counts_positions_and_type_parameters_are_not_literals_to_nudge() -> None:
    sql = "SELECT a, CAST(b AS DECIMAL(10, 2)) FROM t WHERE EXISTS (SELECT 1 FROM u) GROUP BY 1, 2 ORDER BY 1 LIMIT 5"
    assert of_kind(sql, "literal") == []


def test_dates_times_months_and_intervals_move_by_one_of_their_unit() -> None:
    assert of_kind("SELECT a FROM t WHERE d = DATE '2024-01-01'", "literal") == [
        "SELECT a FROM t WHERE d = CAST('2023-12-31' AS DATE)", "SELECT a FROM t WHERE d = CAST('2024-01-02' AS DATE)"]
    assert of_kind("SELECT a FROM t WHERE d < '2023-01-01'", "literal") == [
        "SELECT a FROM t WHERE d < '2022-12-31'", "SELECT a FROM t WHERE d < '2023-01-02'"]
    assert of_kind("SELECT a FROM t WHERE d < '2023-01-01 10:00:00'", "literal") == [
        "SELECT a FROM t WHERE d < '2023-01-01 09:59:59'", "SELECT a FROM t WHERE d < '2023-01-01 10:00:01'"]
    assert of_kind("SELECT a FROM t WHERE m = '2023-12'", "literal") == [
        "SELECT a FROM t WHERE m = '2023-11'", "SELECT a FROM t WHERE m = '2024-01'"]
    assert of_kind("SELECT a FROM t WHERE d >= CURRENT_DATE - INTERVAL '10 days'", "literal", "postgres") == [
        "SELECT a FROM t WHERE d >= CURRENT_DATE - INTERVAL '9 DAYS'",
        "SELECT a FROM t WHERE d >= CURRENT_DATE - INTERVAL '11 DAYS'"]


def test_a_string_compared_for_equality_is_left_but_an_in_list_loses_one_element() -> None:
    assert of_kind("SELECT a FROM t WHERE s = 'x'", "literal") == []
    assert of_kind("SELECT a FROM t WHERE c IN ('x', 'y', 'z')", "literal") == [
        "SELECT a FROM t WHERE c IN ('y', 'z')", "SELECT a FROM t WHERE c IN ('x', 'z')",
        "SELECT a FROM t WHERE c IN ('x', 'y')"]


def test_like_patterns_are_anchored_recased_and_like_and_ilike_swap() -> None:
    assert of_kind("SELECT a FROM t WHERE n LIKE '%Ab%'", "literal") == [
        "SELECT a FROM t WHERE n LIKE 'Ab%'", "SELECT a FROM t WHERE n LIKE '%Ab'",
        "SELECT a FROM t WHERE n LIKE '%ab%'", "SELECT a FROM t WHERE n ILIKE '%Ab%'"]
    assert of_kind("SELECT a FROM t WHERE n ILIKE 'ab%'", "literal") == ["SELECT a FROM t WHERE n LIKE 'ab%'"]


def test_booleans_flip() -> None:
    assert of_kind("SELECT a FROM t WHERE f = TRUE", "literal") == ["SELECT a FROM t WHERE f = FALSE"]


def test_each_filter_term_is_dropped_and_negated() -> None:
    assert of_kind("SELECT a FROM t WHERE x > 1 AND y < 2", "predicate") == [
        "SELECT a FROM t WHERE y < 2", "SELECT a FROM t WHERE x > 1",
        "SELECT a FROM t WHERE NOT x > 1 AND y < 2", "SELECT a FROM t WHERE x > 1 AND NOT y < 2"]
    assert of_kind("SELECT a FROM t WHERE x > 1", "predicate") == [
        "SELECT a FROM t", "SELECT a FROM t WHERE NOT x > 1"]
    assert of_kind("SELECT a, COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > 1", "predicate")[0] == (
        "SELECT a, COUNT(*) FROM t GROUP BY a")


def test_a_join_condition_loses_a_term_only_when_it_has_several() -> None:
    assert of_kind("SELECT a FROM t JOIN u ON t.id = u.id", "predicate") == []
    assert of_kind("SELECT a FROM t JOIN u ON t.id = u.id AND u.k = 1", "predicate") == [
        "SELECT a FROM t JOIN u ON u.k = 1", "SELECT a FROM t JOIN u ON t.id = u.id"]


def test_not_is_removed_and_is_null_swaps_with_is_not_null() -> None:
    assert "SELECT a FROM t WHERE x IN (1, 2)" in of_kind("SELECT a FROM t WHERE NOT x IN (1, 2)", "predicate")
    assert "SELECT a FROM t WHERE x IS NOT NULL" in of_kind("SELECT a FROM t WHERE x IS NULL", "predicate")
    assert "SELECT a FROM t WHERE x IS NULL" in of_kind("SELECT a FROM t WHERE x IS NOT NULL", "predicate")
    assert "SELECT a FROM t WHERE x IS NULL" in of_kind("SELECT a FROM t WHERE x IS NOT NULL", "predicate", "postgres")


def test_a_filter_inside_an_aggregate_is_dropped_with_its_filter_clause() -> None:
    sql = "SELECT SUM(x) FILTER (WHERE y > 1) FROM t"
    assert "SELECT SUM(x) FROM t" in of_kind(sql, "predicate")


def test_and_and_or_swap_keeping_the_meaning_of_the_rest() -> None:
    assert of_kind("SELECT a FROM t WHERE x = 1 AND y = 2 OR z = 3", "connective") == [
        "SELECT a FROM t WHERE (x = 1 AND y = 2) AND z = 3", "SELECT a FROM t WHERE x = 1 OR y = 2 OR z = 3"]
    flipped = of_kind("SELECT a FROM t WHERE (x = 1 OR y = 2) AND z = 3", "connective")
    assert "SELECT a FROM t WHERE (x = 1 AND y = 2) AND z = 3" in flipped
    assert "SELECT a FROM t WHERE x = 1 OR y = 2 AND z = 3" not in flipped  # would bind y = 2 AND z = 3


def test_aggregates_swap_with_their_neighbours() -> None:
    assert of_kind("SELECT SUM(x), AVG(x), MIN(x), MAX(x) FROM t", "aggregation") == [
        "SELECT AVG(x), AVG(x), MIN(x), MAX(x) FROM t", "SELECT COUNT(x), AVG(x), MIN(x), MAX(x) FROM t",
        "SELECT SUM(x), SUM(x), MIN(x), MAX(x) FROM t", "SELECT SUM(x), AVG(x), MAX(x), MAX(x) FROM t",
        "SELECT SUM(x), AVG(x), MIN(x), MIN(x) FROM t"]
    assert of_kind("SELECT COUNT(x), COUNT(DISTINCT y) FROM t", "aggregation") == [
        "SELECT COUNT(DISTINCT x), COUNT(DISTINCT y) FROM t", "SELECT COUNT(*), COUNT(DISTINCT y) FROM t",
        "SELECT COUNT(x), COUNT(y) FROM t"]


def test_count_star_counts_the_first_column_the_query_reads_from_its_first_table() -> None:
    assert of_kind("SELECT COUNT(*) FROM t AS a JOIN u ON u.id = a.id WHERE u.k = 1", "aggregation") == [
        "SELECT COUNT(a.id) FROM t AS a JOIN u ON u.id = a.id WHERE u.k = 1"]
    assert of_kind("SELECT COUNT(*) FROM t", "aggregation") == []


def test_joins_swap_between_inner_and_outer() -> None:
    assert of_kind("SELECT a FROM t JOIN u ON t.id = u.id", "join") == [
        "SELECT a FROM t LEFT JOIN u ON t.id = u.id", "SELECT a FROM t RIGHT JOIN u ON t.id = u.id"]
    for outer in ("LEFT", "RIGHT", "FULL OUTER"):
        assert of_kind(f"SELECT a FROM t {outer} JOIN u ON t.id = u.id", "join") == [
            "SELECT a FROM t INNER JOIN u ON t.id = u.id"]
    assert of_kind("SELECT a FROM t, u", "join") == of_kind("SELECT a FROM t CROSS JOIN u", "join") == []


@pytest.mark.parametrize(("gold", "outer"), [
    ("SELECT t.id, u.vid FROM t JOIN u ON t.id = u.tid WHERE u.x = 1",
     "SELECT t.id, u.vid FROM t LEFT JOIN u ON t.id = u.tid WHERE u.x = 1"),
    ("SELECT t.id, u.vid FROM t JOIN u ON t.id = u.tid WHERE t.y LIKE 'a%'",
     "SELECT t.id, u.vid FROM t RIGHT JOIN u ON t.id = u.tid WHERE t.y LIKE 'a%'"),
    ("SELECT t.id, v.id FROM t JOIN u ON t.id = u.tid JOIN v ON v.id = u.vid",
     "SELECT t.id, v.id FROM t LEFT JOIN u ON t.id = u.tid JOIN v ON v.id = u.vid"),
    ("SELECT t.id, u.vid FROM t JOIN u ON t.id = u.tid WHERE UPPER(t.y) LIKE 'A%' AND u.x + 1 > 0",
     "SELECT t.id, u.vid FROM t LEFT JOIN u ON t.id = u.tid WHERE UPPER(t.y) LIKE 'A%' AND u.x + 1 > 0"),
])
def test_an_outer_join_whose_added_rows_are_filtered_again_is_not_made(gold: str, outer: str) -> None:
    assert outer not in of_kind(gold, "join")
    with duckdb.connect() as connection:  # the proof on data with orphans on every side: both give the same rows
        connection.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'ab'), (2, 'b'), (3, NULL)) v(id, y)")
        connection.execute("CREATE TABLE u AS SELECT * FROM (VALUES (1, 1, 1), (9, 1, 2), (2, NULL, 7)) v(tid, x, vid)")
        connection.execute("CREATE TABLE v AS SELECT * FROM (VALUES (1), (2), (5)) x(id)")
        assert sorted(connection.sql(gold).fetchall()) == sorted(connection.sql(outer).fetchall())


def test_an_outer_join_whose_added_rows_survive_is_still_made() -> None:
    made = of_kind("SELECT count(*) FROM t JOIN u ON t.id = u.tid WHERE COALESCE(u.x, 1) = 1 OR t.y IS NULL", "join")
    assert len(made) == 2


def test_distinct_is_added_or_removed_except_where_it_cannot_matter() -> None:
    assert of_kind("SELECT a FROM t", "distinct") == ["SELECT DISTINCT a FROM t"]
    assert of_kind("SELECT DISTINCT a FROM t", "distinct") == ["SELECT a FROM t"]
    assert of_kind("SELECT a FROM t WHERE x IN (SELECT y FROM u)", "distinct") == [
        "SELECT DISTINCT a FROM t WHERE x IN (SELECT y FROM u)"]
    assert of_kind("SELECT a FROM t UNION SELECT b FROM u", "distinct")[0] == (
        "SELECT a FROM t UNION ALL SELECT b FROM u")


def test_a_limit_moves_by_one_or_goes() -> None:
    assert of_kind("SELECT a FROM t LIMIT 10", "limit") == [
        "SELECT a FROM t LIMIT 9", "SELECT a FROM t LIMIT 11", "SELECT a FROM t"]
    assert of_kind("SELECT a FROM t LIMIT 1", "limit") == ["SELECT a FROM t LIMIT 2", "SELECT a FROM t"]


def test_a_group_by_key_is_dropped_only_when_the_select_list_does_not_need_it() -> None:
    assert of_kind("SELECT a, COUNT(*) FROM t GROUP BY a, b", "group_by") == [
        "SELECT a, COUNT(*) FROM t GROUP BY a"]
    assert of_kind("SELECT a, b, COUNT(*) FROM t GROUP BY a, b", "group_by") == []
    assert of_kind("SELECT a AS k, COUNT(*) FROM t GROUP BY k, b", "group_by") == [
        "SELECT a AS k, COUNT(*) FROM t GROUP BY k"]
    assert of_kind("SELECT a, COUNT(*) FROM t GROUP BY 1, b", "group_by") == ["SELECT a, COUNT(*) FROM t GROUP BY 1"]


def test_a_bare_selected_column_not_grouped_is_added_as_a_key() -> None:
    assert of_kind("SELECT a, b, COUNT(*) FROM t GROUP BY a", "group_by") == [
        "SELECT a, b, COUNT(*) FROM t GROUP BY a, b"]


def test_order_by_keys_flip_direction_and_nulls_and_are_dropped_when_several() -> None:
    assert of_kind("SELECT a FROM t ORDER BY a", "order_by") == ["SELECT a FROM t ORDER BY a DESC"]
    assert of_kind("SELECT a FROM t ORDER BY a DESC, b", "order_by") == [
        "SELECT a FROM t ORDER BY a ASC, b", "SELECT a FROM t ORDER BY b",
        "SELECT a FROM t ORDER BY a DESC, b DESC", "SELECT a FROM t ORDER BY a DESC"]
    assert of_kind("SELECT a FROM t ORDER BY a NULLS FIRST", "order_by") == [
        "SELECT a FROM t ORDER BY a DESC NULLS FIRST", "SELECT a FROM t ORDER BY a"]


def test_subqueries_and_ctes_are_mutated_too() -> None:
    sql = "WITH c AS (SELECT a FROM t WHERE x > 1) SELECT a FROM c WHERE a IN (SELECT b FROM u WHERE y < 2)"
    changed = of_kind(sql, "comparison")
    assert sql.replace("x > 1", "x >= 1") in changed
    assert sql.replace("y < 2", "y <= 2") in changed


def test_descriptions_quote_what_changed_shortened() -> None:
    sql = f"SELECT a FROM t WHERE t.amount > 100 AND t.{'long_column_name_' * 5} = 1"
    described = {m.description for m in mutants(sql, "duckdb")}
    assert "`>` became `>=` in `t.amount > 100`" in described
    assert "`100` became `101` in `t.amount > 100`" in described
    assert max(len(d) for d in described) < 120
    assert any("...`" in d for d in described)


def test_mutants_are_distinct_never_the_query_and_the_same_every_time() -> None:
    sql = "SELECT a, SUM(b) FROM t WHERE x = 1 AND x = 1 GROUP BY a ORDER BY a LIMIT 3"
    found = mutants(sql, "duckdb")
    texts = [m.sql for m in found]
    assert len(texts) == len(set(texts))
    assert sqlglot.transpile(sql, read="duckdb", write="duckdb")[0] not in texts
    assert found == mutants(sql, "duckdb")
    assert {m.kind for m in found} <= set(KINDS)
    assert all(isinstance(m, Mutant) for m in found)


def test_a_huge_query_keeps_at_most_the_cap_with_every_kind_it_has() -> None:
    terms = " AND ".join(f"c{i} > {i}" for i in range(80))
    sql = f"SELECT DISTINCT a, SUM(b) FROM t JOIN u ON t.id = u.id WHERE {terms} GROUP BY a ORDER BY a LIMIT 3"
    kinds = Counter(m.kind for m in mutants(sql, "duckdb"))
    assert sum(kinds.values()) == MAX_MUTANTS
    assert set(kinds) == {"comparison", "literal", "predicate", "connective", "aggregation", "join", "distinct",
                          "limit", "order_by"}
    assert max(kinds.values()) - min(kinds["comparison"], kinds["literal"], kinds["predicate"]) <= 1


def test_sql_sqlglot_cannot_read_and_an_unknown_dialect_are_refused() -> None:
    with pytest.raises(ParseError):
        mutants("SELECT FROM WHERE (", "duckdb")
    with pytest.raises(ParameterError, match="dialect must be a dialect sqlglot knows"):
        mutants("SELECT 1", "no-such-dialect")


# -- on the defog databases and golds ------------------------------------------------------------------------

def duckdb_gold(postgres_gold: list[str]) -> str:
    """The first alternative of a defog gold, braces expanded (the last expansion), in DuckDB's SQL."""
    return sqlglot.transpile(expand_alternatives(postgres_gold[0])[-1], read="postgres", write="duckdb")[0]


@pytest.fixture(scope="module")
def defog_duckdb(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mutants")
    return {name: load_postgres_dump(DEFOG / "databases" / f"{name}.sql", folder / f"{name}.duckdb")
            for name in ("car_dealership", "broker")}


def test_defog_golds_yield_mutants_that_parse_and_mostly_run(defog_duckdb: dict[str, Path]) -> None:
    questions = defog_questions()
    made: Counter[str] = Counter()
    ran: Counter[str] = Counter()
    parsed = total = 0
    for database, path in defog_duckdb.items():
        with duckdb.connect(str(path), read_only=True) as connection:
            for question in questions[database]:
                found = mutants(duckdb_gold(question.gold_sql), "duckdb")
                assert found, question.id
                for mutant in found:
                    total += 1
                    made[mutant.kind] += 1
                    parsed += _parses(mutant.sql)
                    ran[mutant.kind] += _runs(connection, mutant.sql)
    assert parsed >= 0.9 * total
    print(f"\n{total} mutants of {sum(len(questions[d]) for d in defog_duckdb)} golds; {parsed} parse again")
    for kind in KINDS:
        print(f"  {kind:12} {made[kind]:4} made, {ran[kind]:4} run on DuckDB")


def test_mutants_of_all_210_defog_golds_are_made_quickly() -> None:
    golds = [duckdb_gold(q.gold_sql) for questions in defog_questions().values() for q in questions]
    started = time.perf_counter()
    found = [mutants(gold, "duckdb") for gold in golds]
    seconds = time.perf_counter() - started
    assert len(golds) == 210
    assert all(found)
    print(f"\n{sum(map(len, found))} mutants of {len(golds)} golds in {seconds:.2f} s")


def _parses(sql: str) -> bool:
    try:
        sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return False
    return True


def _runs(connection: duckdb.DuckDBPyConnection, sql: str) -> bool:
    try:
        connection.execute(sql).fetchall()
    except duckdb.Error:
        return False
    return True


def test_where_nulls_sort_is_not_flipped_for_a_count_which_is_never_null() -> None:
    def flips(sql: str) -> list[str]:
        return [m.description for m in mutants(sql, "duckdb") if "NULLS" in m.description]

    assert flips("SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY n DESC NULLS FIRST") == []
    assert flips("SELECT k, sum(x) AS n FROM t GROUP BY k ORDER BY n DESC NULLS FIRST") == [
        "`NULLS FIRST` became `NULLS LAST` for `n`"]
