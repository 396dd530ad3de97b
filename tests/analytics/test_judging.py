"""What one judgement means: ties the gold's ORDER BY leaves open, a frozen clock, unparseable answers, and the
official evaluators' query rewrites, each through ``evaluate`` on a real DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.compare import PRESETS
from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.warehouse import Warehouse, open_warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    path = tmp_path_factory.mktemp("judging") / "sales.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE sales(id INTEGER PRIMARY KEY, rep VARCHAR, amount INTEGER, day DATE)")
        connection.execute("INSERT INTO sales VALUES (1, 'ann', 10, DATE '2026-03-01'), (2, 'bob', 10, "
                           "DATE '2026-03-05'), (3, 'cy', 30, DATE '2026-03-09'), (4, 'dee', 20, DATE '2026-03-09'), "
                           "(5, 'eve', 10, DATE '2026-02-20'), (6, 'ann', 5, DATE '2026-03-02')")
    return open_warehouse(str(path))


def _verdict(warehouse: Warehouse, gold: str, answer: str, **options: object) -> tuple[str, str]:
    result = evaluate([GoldenQuestion(id="q", question="?", gold_sql=gold)], {"q": {"sql": answer}}, warehouse,
                      **options).results[0]  # type: ignore[arg-type]
    return result.verdict, result.reason


def test_rows_tied_on_the_gold_order_may_come_back_in_any_order(warehouse: Warehouse) -> None:
    gold = "SELECT id, amount FROM sales ORDER BY amount DESC"
    verdict, reason = _verdict(warehouse, gold, "SELECT id, amount FROM sales ORDER BY amount DESC, id DESC")
    assert verdict == "pass", reason
    assert "tied" in reason
    assert _verdict(warehouse, gold, "SELECT id, amount FROM sales ORDER BY amount, id")[0] == "result-mismatch"


def test_a_limit_through_a_tie_accepts_any_choice_of_the_tied_rows(warehouse: Warehouse) -> None:
    gold = "SELECT id FROM sales ORDER BY amount DESC LIMIT 4"  # ids 1, 2 and 5 tie at 10 for the last place
    for answer in ("SELECT id FROM sales ORDER BY amount DESC, id LIMIT 4",
                   "SELECT id FROM sales ORDER BY amount DESC, id DESC LIMIT 4"):
        verdict, reason = _verdict(warehouse, gold, answer)
        assert verdict == "pass", reason
    assert _verdict(warehouse, gold, "SELECT id FROM sales ORDER BY amount DESC LIMIT 3")[0] == "result-mismatch"


def test_an_alias_shadowing_a_column_inside_an_order_key_does_not_make_rows_tied(warehouse: Warehouse) -> None:
    # the gold sorts by the column amount times id (cy, dee); read as the alias, every row would tie at 0
    gold = "SELECT rep, amount * 0 AS amount FROM sales ORDER BY amount * id DESC LIMIT 2"
    wrong = "SELECT rep, 0 AS amount FROM sales WHERE id IN (1, 2) ORDER BY rep"
    assert _verdict(warehouse, gold, wrong)[0] == "result-mismatch"


def test_the_official_spider_preset_has_no_tie_tolerance(warehouse: Warehouse) -> None:
    gold = "SELECT id, amount FROM sales ORDER BY amount DESC"
    verdict, _ = _verdict(warehouse, gold, "SELECT id, amount FROM sales ORDER BY amount DESC, id DESC",
                          options=PRESETS["spider-official"])
    assert verdict == "result-mismatch"


def test_the_official_spider_preset_strips_distinct_from_both_queries(warehouse: Warehouse) -> None:
    gold, answer = "SELECT DISTINCT rep FROM sales", "SELECT rep FROM sales"
    assert _verdict(warehouse, gold, answer)[0] == "result-mismatch"
    assert _verdict(warehouse, gold, answer, options=PRESETS["spider-official"])[0] == "pass"


def test_a_frozen_clock_makes_today_the_same_instant_in_gold_and_answer(warehouse: Warehouse) -> None:
    gold = "SELECT count(*) FROM sales WHERE day >= CURRENT_DATE - INTERVAL 7 DAY"
    answer = "SELECT count(*) FROM sales WHERE day >= DATE '2026-03-03'"
    assert _verdict(warehouse, gold, answer, as_of=dt.datetime(2026, 3, 10))[0] == "pass"
    assert _verdict(warehouse, gold, answer, as_of=dt.datetime(2026, 3, 20))[0] == "result-mismatch"
    run = evaluate([GoldenQuestion(id="q", question="?", gold_sql=gold)], {"q": {"sql": answer}}, warehouse,
                   as_of=dt.datetime(2026, 3, 10))
    assert run.summary()["as_of"] == "2026-03-10T00:00:00"


def test_the_default_clock_is_when_the_warehouse_file_was_written(warehouse: Warehouse) -> None:
    written = dt.datetime.fromtimestamp(int(Path(warehouse.duckdb_file()).stat().st_mtime), dt.UTC)
    run = evaluate([GoldenQuestion(id="q", question="?", gold_sql="SELECT 1")], {"q": {"sql": "SELECT 1"}},
                   warehouse)
    assert run.as_of == written.replace(tzinfo=None)


def test_unparseable_sql_is_an_answer_error_with_the_parsers_message(warehouse: Warehouse) -> None:
    verdict, reason = _verdict(warehouse, "SELECT count(*) FROM sales", "SELEC COUNT(*) FROM sales")
    assert verdict == "answer-error"
    assert reason.startswith("not parseable SQL")
    assert _verdict(warehouse, "SELECT count(*) FROM sales", "DELETE FROM sales")[0] == "refused"
