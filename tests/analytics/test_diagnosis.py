"""Diagnosis: what a wrong answer's SQL does differently from the gold's."""

from __future__ import annotations

import pytest

from answerkey.analytics.diagnosis import sql_differences


def kinds(gold: str, answer: str) -> dict[str, tuple[list[str], list[str]]]:
    return {d.kind: (d.gold, d.answer) for d in sql_differences(gold, answer, "duckdb")}


def test_the_same_query_written_with_aliases_and_positions_has_no_difference() -> None:
    gold = "SELECT p.plan, sum(p.amount) FROM payments p WHERE p.status = 'paid' GROUP BY p.plan"
    answer = "SELECT plan, SUM(amount) FROM payments WHERE status = 'paid' GROUP BY 1"
    assert sql_differences(gold, answer, "duckdb") == []


def test_a_changed_comparison_operator_is_called_out() -> None:
    found = kinds("SELECT count(*) FROM t WHERE amount >= 100", "SELECT count(*) FROM t WHERE amount > 100")
    assert found["operator"] == (["amount >= 100 became amount > 100"], [])


def test_a_missing_filter_and_another_table_are_named() -> None:
    found = kinds("SELECT count(*) FROM subscriptions s WHERE s.status = 'active' AND s.trial = FALSE",
                  "SELECT count(*) FROM subscriptions_old WHERE status = 'active'")
    assert found["tables"] == (["subscriptions"], ["subscriptions_old"])
    assert "trial = FALSE" in found["filters"][0]


@pytest.mark.parametrize(("gold", "answer", "kind"), [
    ("SELECT a.x FROM a JOIN b ON a.id = b.id", "SELECT a.x FROM a LEFT JOIN b ON a.id = b.id", "joins"),
    ("SELECT count(*) FROM t", "SELECT count(DISTINCT id) FROM t", "aggregations"),
    ("SELECT k, count(*) FROM t GROUP BY k", "SELECT k, count(*) FROM t GROUP BY k, j", "grouping"),
    ("SELECT DISTINCT k FROM t", "SELECT k FROM t", "distinct"),
    ("SELECT k FROM t ORDER BY k LIMIT 5", "SELECT k FROM t ORDER BY k LIMIT 10", "limit"),
])
def test_each_structural_difference_is_named(gold: str, answer: str, kind: str) -> None:
    assert kind in kinds(gold, answer)


def test_unparseable_sql_gives_no_diagnosis_rather_than_failing() -> None:
    assert sql_differences("SELECT 1", "SELEC nonsense FROM", "duckdb") == []
