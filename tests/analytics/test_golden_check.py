"""golden check: gold that errors, returns nothing, changes, cuts ties, leaves order open, or disagrees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from defog_data import DEFOG, defog_questions

from answerkey.analytics.compare import ResultTable
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.golden_check import check_question, representation_difference
from answerkey.analytics.loading import load_postgres_dump
from answerkey.analytics.warehouse import Warehouse, open_warehouse
from answerkey.findings import Severity


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


def test_alternatives_that_differ_only_in_representation_are_a_warning_saying_what_differs(
        warehouse: Warehouse) -> None:
    question = GoldenQuestion(id="q", question="?", gold_sql=[
        "SELECT rep, date_trunc('month', DATE '2024-01-01' + 2 * amount) AS month FROM sales",
        "SELECT strftime(DATE '2024-01-01' + 2 * amount, '%Y-%m') AS month, rep FROM sales"])
    [finding] = check_question(question, warehouse)
    assert (finding.check, finding.severity) == ("golden.alternatives_differ_in_representation", Severity.WARNING)
    assert finding.what.endswith("column 'month': a timestamp against 'YYYY-MM' text, compared by month; "
                                 "the columns in another order")


@pytest.mark.parametrize(("first", "other", "what"), [
    (["2024-01", "2024-02"], [dt.date(2024, 2, 1), dt.date(2024, 1, 1)], "'YYYY-MM' text against a date, "
                                                                        "compared by month"),
    ([dt.datetime(2024, 1, 1), None], [None, dt.date(2024, 1, 1)], "a timestamp against a date, compared by day"),
    (["2024-01-01 00:00:00"], [dt.datetime(2024, 1, 1)], "timestamp text against a timestamp"),
    (["2024-03"], [dt.datetime(2024, 3, 9, 10, 30)], "'YYYY-MM' text against a timestamp, compared by month"),
    ([3, 2], [2.0, Decimal("3.000")], "integers against decimals and floats"),
])
def test_the_same_values_in_other_representations_are_named(first: list[object], other: list[object],
                                                             what: str) -> None:
    difference = representation_difference(ResultTable(["c"], [(v,) for v in first]),
                                            ResultTable(["c"], [(v,) for v in other]))
    assert difference == f"column 'c': {what}"


@pytest.mark.parametrize(("first", "other"), [
    ([("2024-01", 1)], [(dt.date(2024, 2, 1), 1)]),  # another month
    ([(dt.datetime(2024, 1, 1, 10), 1)], [(dt.datetime(2024, 1, 1, 11), 1)]),  # the same precision, another hour
    ([("2024-01", 1), ("2024-02", 2)], [(dt.date(2024, 1, 1), 2), (dt.date(2024, 2, 1), 1)]),  # rows re-paired
    ([(3, "a")], [(3.5, "a")]),
    ([(1, "a")], [(1, "a"), (1, "a")]),
    ([(1, "a")], [(1, "a", None)]),
    ([("January", 1)], [(dt.date(2024, 1, 1), 1)]),  # a month name is not temporal-looking
])
def test_different_values_are_not_a_difference_in_representation(first: list[tuple[object, ...]],
                                                                   other: list[tuple[object, ...]]) -> None:
    assert representation_difference(ResultTable([f"c{i}" for i in range(len(first[0]))], first),
                                      ResultTable([f"c{i}" for i in range(len(other[0]))], other)) is None


def test_a_defog_question_whose_months_are_a_timestamp_and_text_is_no_longer_an_error(tmp_path: Path) -> None:
    """broker-192: DATE_TRUNC('month', ..) in one alternative, TO_CHAR(.., 'YYYY-MM') in the other; it was
    ``alternatives_disagree`` (an error) before representations were compared."""
    [question] = [q for q in defog_questions()["broker"] if q.id == "broker-192"]
    assert "DATE_TRUNC('month'" in question.gold_sql[0]
    assert "'YYYY-MM'" in question.gold_sql[1]
    warehouse = open_warehouse(str(load_postgres_dump(DEFOG / "databases" / "broker.sql", tmp_path / "b.duckdb")))
    findings = {f.check: f for f in check_question(question, warehouse)}
    assert "golden.alternatives_disagree" not in findings
    finding = findings["golden.alternatives_differ_in_representation"]
    assert finding.severity == Severity.WARNING
    assert "column 'MONTH': a timestamp against 'YYYY-MM' text, compared by month" in finding.what
