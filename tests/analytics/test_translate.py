"""Gold SQL translated from PostgreSQL to DuckDB: what sqlglot cannot write raises naming it, PostgreSQL's own
rules (functional dependency, date templates, integer division) are made explicit, and every defog gold runs."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import duckdb
import pytest
from defog_data import DEFOG, defog_questions, load_defog
from hypothesis import given, settings
from hypothesis import strategies as st

from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.translate import TranslationError, add_dependent_group_columns, translate_gold
from answerkey.analytics.warehouse import ExecutionError, open_warehouse
from answerkey.errors import ParameterError


def duckdb_value(postgres: str) -> object:
    """The one value a PostgreSQL expression gives once translated and run on DuckDB."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")  # the PostgreSQL values below were taken in UTC
    row = connection.execute(translate_gold(f"SELECT {postgres}", "postgres", "duckdb")).fetchone()
    assert row is not None
    return row[0]


# -- GROUP BY on a primary key -----------------------------------------------------------------------------

@pytest.mark.parametrize(("postgres", "group_by"), [
    ("SELECT sp.id, sp.name, COUNT(*) FROM sp JOIN s ON s.sp_id = sp.id GROUP BY sp.id", "sp.id, sp.name"),
    ("SELECT sp.id, sp.name || '!' AS shout, SUM(s.amount) FROM sp JOIN s ON s.sp_id = sp.id GROUP BY 1",
     "1, sp.name"),
    ("SELECT sp.id, COUNT(*) AS n FROM sp JOIN s ON s.sp_id = sp.id GROUP BY sp.id HAVING MAX(sp.rank) > 1 "
     "ORDER BY n, sp.name", "sp.id, sp.name"),
    ("SELECT sp.id, SUM(s.amount), RANK() OVER (ORDER BY SUM(s.amount)) FROM sp JOIN s ON s.sp_id = sp.id "
     "GROUP BY sp.id", "sp.id"),
    ("SELECT DATE_TRUNC('month', s.day) AS m, COUNT(*) FROM s GROUP BY DATE_TRUNC('month', s.day)",
     "DATE_TRUNC('MONTH', s.day)"),
    ("SELECT sp.id, (SELECT MAX(x.amount) FROM s AS x WHERE x.sp_id = sp.id) FROM sp GROUP BY sp.id", "sp.id"),
    ("SELECT sp.id, s.amount FROM sp JOIN s ON s.sp_id = sp.id GROUP BY sp.id", "sp.id"),
])
def test_a_group_by_gains_the_plain_columns_postgresql_knows_depend_on_its_key(postgres: str, group_by: str) -> None:
    translated = translate_gold(postgres, "postgres", "duckdb")
    assert translated.split(" GROUP BY ")[1].split(" HAVING ")[0].split(" ORDER BY ")[0] == group_by


def test_nested_queries_ctes_and_rollups_are_each_handled_on_their_own() -> None:
    import sqlglot

    tree = sqlglot.parse_one("WITH per AS (SELECT sp.id, sp.name, COUNT(*) AS n FROM sp GROUP BY sp.id) "
                             "SELECT * FROM per WHERE n > (SELECT AVG(c) FROM (SELECT sp.id, sp.name, COUNT(*) AS c "
                             "FROM sp GROUP BY sp.id) q) UNION ALL SELECT sp.id, sp.name, COUNT(*) FROM sp "
                             "GROUP BY ROLLUP (sp.id)", read="postgres")
    sql = add_dependent_group_columns(tree).sql("postgres")
    assert sql.count("GROUP BY sp.id, sp.name") == 2
    assert sql.endswith("GROUP BY ROLLUP (sp.id)")


def test_the_rewritten_group_by_gives_postgresqls_groups_on_duckdb() -> None:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE sp (id INT PRIMARY KEY, name TEXT); INSERT INTO sp VALUES (1, 'ann'), "
                       "(2, 'ann'), (3, 'bo'); CREATE TABLE s (sp_id INT, amount INT); INSERT INTO s VALUES "
                       "(1, 10), (1, 5), (2, 7), (3, 1)")
    postgres = "SELECT sp.id, sp.name, SUM(s.amount) FROM sp JOIN s ON s.sp_id = sp.id GROUP BY sp.id ORDER BY 1"
    with pytest.raises(duckdb.BinderException):
        connection.execute(postgres)  # what DuckDB says to the gold as PostgreSQL accepts it
    rows = connection.execute(translate_gold(postgres, "postgres", "duckdb")).fetchall()
    assert rows == [(1, "ann", 15), (2, "ann", 7), (3, "bo", 1)]  # two people named ann stay two groups


# -- date templates, TIME and division ---------------------------------------------------------------------

@pytest.mark.parametrize(("postgres", "expected"), [  # each expected value is what PostgreSQL 15 returns
    ("to_char(DATE '2024-05-03', 'YYYY-MM')", "2024-05"),
    ("to_char(DATE '2024-05-03', 'Month|MONTH|month|FMMonth')", "May      |MAY      |may      |May"),
    ("to_char(DATE '2024-05-03', 'Day, FMDD Mon YYYY')", "Friday   , 3 May 2024"),
    ("to_char(DATE '2024-05-03', 'dy DY Dy \"of\" TMMonth')", "fri FRI Fri of May"),
    ("to_char(TIMESTAMP '2024-05-03 14:07:09', 'HH24:MI:SS HH12 AM am')", "14:07:09 02 PM pm"),
    ("to_char(to_timestamp(0)::TIME, 'HH24:MI')", "00:00"),
    ("to_char(TIME '10:05', 'HH24:MI')", "10:05"),
    ("EXTRACT(MONTH FROM to_date('March', 'Month'))", 3),
    ("to_date('2024-05-03', 'YYYY-MM-DD') = DATE '2024-05-03'", True),
    ("7 / 2", 3),
    ("CAST(7 AS FLOAT) / 2", 3.5),
])
def test_postgresql_meanings_survive_translation(postgres: str, expected: object) -> None:
    assert duckdb_value(postgres) == expected


@pytest.mark.parametrize(("postgres", "named"), [
    ("SELECT id FROM t FOR UPDATE", "FOR UPDATE"),
    ("SELECT to_char(d, 'YYYY-Q') FROM t", "'Q' (quarter)"),
    ("SELECT to_char(d, 'DDth') FROM t", "'th'"),
    ("SELECT to_char(d, 'FMIW') FROM t", "'IW' without leading zeros"),
    ("SELECT to_char(amount, 'FM999D99') FROM t", "number template"),
    ("SELECT to_char(d, fmt) FROM t", "expression (fmt)"),
    ("SELEC id FROM t WHERE", "not postgres SQL that sqlglot can read"),
])
def test_what_cannot_be_written_in_duckdb_raises_naming_the_construct(postgres: str, named: str) -> None:
    with pytest.raises(TranslationError, match=named.replace("(", r"\(").replace(")", r"\)")) as caught:
        translate_gold(postgres, "postgres", "duckdb")
    assert isinstance(caught.value, ParameterError)


def test_sql_already_in_the_warehouse_dialect_is_left_as_written() -> None:
    assert translate_gold("SELECT 7/2  FROM t", None, "duckdb") == "SELECT 7/2  FROM t"
    assert translate_gold("SELECT 7/2  FROM t", "postgresql", "postgres") == "SELECT 7/2  FROM t"
    with pytest.raises(TranslationError, match="'postgress' is not a SQL dialect"):
        translate_gold("SELECT 1", "postgress", "duckdb")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_translates_or_raises_a_translation_error(text: str) -> None:
    with contextlib.suppress(TranslationError):
        assert isinstance(translate_gold(text, "postgres", "duckdb"), str)


# -- every defog gold --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defog_databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return load_defog(tmp_path_factory.mktemp("defog"))


def instruct_questions() -> dict[str, list[GoldenQuestion]]:
    """The 40 instruct_basic questions, by database."""
    by_database: dict[str, list[GoldenQuestion]] = {}
    with (DEFOG / "questions" / "instruct_basic_postgres.csv").open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            by_database.setdefault(row["db_name"], []).append(GoldenQuestion(
                id=f"instruct-{row['db_name']}-{number}", question=row["question"], gold_sql=row["query"],
                dialect="postgres"))
    return by_database


def test_every_defog_gold_translates_to_duckdb_and_runs(defog_databases: dict[str, Path]) -> None:
    """All 210 + 40 questions, every ``;`` alternative and ``{a, b}`` expansion: 408 queries."""
    failing, ran = {}, 0
    for source in (defog_questions(), instruct_questions()):
        for database, questions in source.items():
            warehouse = open_warehouse(str(defog_databases[database]))
            for question in questions:
                for alternative in question.alternatives():
                    try:
                        warehouse.execute(translate_gold(alternative, "postgres", "duckdb"))
                        ran += 1
                    except (TranslationError, ExecutionError) as error:
                        failing[question.id] = str(error)
    assert not failing, failing
    assert ran == 408
