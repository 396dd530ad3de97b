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
        warehouse._run_sqlalchemy("DELETE FROM plans")  # straight to the database, past the refusal
    assert "read-only" in read_only.value.reason
    assert warehouse.execute("SELECT count(*) FROM plans").rows == [(3,)]


def test_a_long_query_times_out_on_postgresql(warehouse: Warehouse) -> None:
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("SELECT pg_sleep(5)")
    assert caught.value.kind == "timeout"
