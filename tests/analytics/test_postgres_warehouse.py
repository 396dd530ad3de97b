"""A PostgreSQL warehouse through SQLAlchemy: read-only transactions, a statement timeout, the same verdicts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.warehouse import ExecutionError, Warehouse, open_warehouse
from conftest import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def warehouse(postgres_server: str) -> Iterator[Warehouse]:
    with postgres_schema(postgres_server) as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE plans (name text, price numeric(10, 2))"))
            connection.execute(sa.text("INSERT INTO plans VALUES ('basic', 10), ('pro', 30), ('team', 30)"))
        engine.dispose()
        yield open_warehouse(url, timeout_s=1.0)


def test_answers_on_postgresql_get_the_same_verdicts(warehouse: Warehouse) -> None:
    questions = [GoldenQuestion(id="n", question="?", gold_sql="SELECT count(*) FROM plans"),
                 GoldenQuestion(id="top", question="?", gold_sql="SELECT name FROM plans WHERE price = 30")]
    run = evaluate(questions, {"n": {"sql": "SELECT count(name) FROM plans"},
                               "top": {"sql": "SELECT name FROM plans WHERE price > 10"}}, warehouse)
    assert [r.verdict for r in run.results] == ["pass", "pass"]
    assert warehouse.execute("SELECT price FROM plans ORDER BY name").rows[0][0] == 10


def test_a_write_that_slips_past_the_parser_is_still_refused_by_the_read_only_transaction(
        warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("SELECT count(*) FROM plans; DELETE FROM plans")
    assert caught.value.kind == "refused"
    with pytest.raises(ExecutionError) as read_only:
        warehouse._run_postgres("DELETE FROM plans")  # straight to the database, past the refusal
    assert "read-only" in read_only.value.reason
    assert warehouse.execute("SELECT count(*) FROM plans").rows == [(3,)]


def test_a_long_query_times_out_on_postgresql(warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("SELECT count(*) FROM generate_series(1, 10000000000)")
    assert caught.value.kind == "timeout"


@pytest.mark.parametrize("sql", [
    "SELECT pg_read_file('/etc/passwd')", "SELECT * FROM pg_ls_dir('/')", "SELECT * FROM pg_stat_activity",
    "SELECT pg_terminate_backend(pg_backend_pid())", "SELECT pg_advisory_lock(1)", "SELECT pg_reload_conf()",
    "SELECT current_setting('data_directory')", "SELECT query_to_xml('SELECT 1', true, true, '')",
    "SELECT * FROM pg_catalog.pg_settings", "SELECT lo_import('/etc/passwd')",
])
def test_functions_and_catalogs_that_reach_beyond_the_data_are_refused(warehouse: Warehouse, sql: str) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute(sql)
    assert caught.value.kind == "refused"


def test_a_session_level_lock_taken_past_the_deny_list_dies_with_its_connection(warehouse: Warehouse) -> None:
    warehouse._run_postgres("SELECT pg_advisory_lock(4242)")  # straight to the database, past the deny-list
    engine = sa.create_engine(warehouse.url)
    with engine.connect() as connection:
        held = connection.execute(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                          "AND objid = 4242")).scalar()
    engine.dispose()
    assert held == 0


def test_answers_that_crash_a_parser_or_the_driver_fail_their_question_only(warehouse: Warehouse) -> None:
    questions = [GoldenQuestion(id=name, question="?", gold_sql="SELECT count(*) FROM plans")
                 for name in ("colon", "comment", "deep", "after")]
    answers = {"colon": {"sql": "SELECT :x"}, "comment": {"sql": "SELECT 1 /* x"},
               "deep": {"sql": "SELECT " + "(SELECT " * 300 + "1" + ")" * 300},
               "after": {"sql": "SELECT count(name) FROM plans"}}
    run = evaluate(questions, answers, warehouse)
    assert [r.verdict for r in run.results] == ["answer-error", "answer-error", "answer-error", "pass"]
