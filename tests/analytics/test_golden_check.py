"""golden check: gold that errors, returns nothing, changes, cuts ties, leaves order open, or disagrees."""

from __future__ import annotations

import duckdb
import pytest

from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.golden_check import check_question
from answerkey.analytics.warehouse import Warehouse, open_warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    path = tmp_path_factory.mktemp("golden") / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE sales AS SELECT * FROM (VALUES ('ann', 30), ('bob', 20), ('cy', 20), "
                           "('dan', 10)) v(rep, amount)")
    return open_warehouse(str(path))


def checks(warehouse: Warehouse, gold_sql: str | list[str]) -> set[str]:
    question = GoldenQuestion(id="q", question="?", gold_sql=gold_sql)
    return {finding.check.removeprefix("golden.") for finding in check_question(question, warehouse)}


@pytest.mark.parametrize(("gold", "expected"), [
    ("SELECT rep FROM sales ORDER BY amount DESC, rep", set()),
    ("SELECT rep FROM sales ORDER BY amount DESC LIMIT 2", {"limit_ties"}),
    ("SELECT rep FROM sales ORDER BY amount DESC LIMIT 1", set()),
    ("SELECT rep, amount FROM sales ORDER BY amount DESC", {"order_ties"}),
    ("SELECT rep FROM sales WHERE amount > 100", {"gold_empty"}),
    ("SELECT nope FROM sales", {"gold_error"}),
    ("SELECT x FROM range(100000) t(x) ORDER BY random() LIMIT 5", {"gold_unstable"}),
    (["SELECT count(*) FROM sales", "SELECT count(DISTINCT amount) FROM sales"], {"alternatives_disagree"}),
    (["SELECT count(*) FROM sales", "SELECT count(rep) AS n FROM sales"], set()),
])
def test_each_way_gold_goes_wrong_is_found(warehouse: Warehouse, gold: str | list[str], expected: set[str]) -> None:
    found = checks(warehouse, gold)
    assert expected <= found
    assert found == expected


def test_column_alternatives_of_one_query_are_not_each_other_s_disagreement(warehouse: Warehouse) -> None:
    assert checks(warehouse, "SELECT {rep, upper(rep)} FROM sales") == set()


def test_unanswerable_and_expected_questions_have_nothing_to_execute(warehouse: Warehouse) -> None:
    assert check_question(GoldenQuestion(id="x", question="?", unanswerable=True), warehouse) == []
