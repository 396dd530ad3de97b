"""Context gaps: the missing or inconsistent context behind wrong answers, ranked by failures explained."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.context import Column as ContextColumn
from answerkey.analytics.context import ContextLayer, Metric, TableEntry
from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.gaps import answer_gaps
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.warehouse import open_warehouse

CONTEXT = ContextLayer(
    tables=[TableEntry(name="invoices", status="certified", description="Invoices.", columns=[
                ContextColumn(name="amount", description="Net amount."),
                ContextColumn(name="status", description="paid or void.")]),
            TableEntry(name="invoices_old", status="deprecated", reason="frozen", replacement="invoices")],
    metrics=[Metric(name="revenue", table="invoices", sql="sum(amount)", filter="status = 'paid'",
                    status="certified")],
    rules="Revenue counts paid invoices only: `status = 'paid'`.\n",
)


def kinds(answer: str, gold: str | None = None, metrics: tuple[str, ...] = ()) -> dict[str, str]:
    return {g.kind: g.subject for g in answer_gaps(answer, gold, CONTEXT, "duckdb", metrics)}


def test_a_deprecated_table_with_a_certified_replacement_is_a_gap() -> None:
    assert kinds("SELECT sum(amount) FROM invoices_old") == {"deprecated_table": "invoices_old"}


def test_undescribed_tables_and_columns_are_gaps() -> None:
    found = kinds("SELECT i.status, r.reason FROM invoices i JOIN refunds r ON r.invoice_id = i.id")
    assert found["undescribed_table"] == "refunds"
    assert found["undescribed_column"] in ("invoices.status", "invoices.id")


def test_a_metric_recomputed_another_way_is_a_gap_and_a_question_metric_not_defined_too() -> None:
    found = kinds("SELECT sum(amount) - 0 FROM invoices", gold="SELECT sum(amount) FROM invoices WHERE "
                  "status = 'paid'", metrics=("mrr",))
    assert found["metric_undefined"] == "mrr"
    assert "metric_bypassed" not in kinds("SELECT sum(amount) FROM invoices", gold="SELECT sum(amount) FROM invoices")
    assert kinds("SELECT avg(amount) FROM invoices", gold="SELECT sum(amount) FROM invoices")["metric_bypassed"] == \
        "revenue"


def test_a_run_ranks_the_gaps_by_the_failures_they_explain(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE invoices AS SELECT * FROM (VALUES (1, 100.0, 'paid'), (2, 50.0, 'void')) "
                           "v(id, amount, status)")
        connection.execute("CREATE TABLE invoices_old AS SELECT * FROM (VALUES (1, 90.0, 'paid')) "
                           "v(id, amount, status)")
    questions = [GoldenQuestion(id=f"q{i}", question="Revenue?", gold_sql="SELECT sum(amount) FROM invoices WHERE "
                                "status = 'paid'") for i in range(3)]
    answers = {"q0": {"sql": "SELECT sum(amount) FROM invoices_old"},
               "q1": {"sql": "SELECT sum(amount) FROM invoices_old WHERE status = 'paid'"},
               "q2": {"sql": "SELECT sum(amount) FROM invoices"}}
    run = evaluate(questions, answers, open_warehouse(str(path)), context=CONTEXT)
    gaps = run.summary()["context_gaps"]
    assert gaps[0]["kind"] == "deprecated_table"
    assert gaps[0]["failures"] == 2
    assert gaps[0]["questions"] == ["q0", "q1"]
    assert "invoices" in str(gaps[0]["fix"])


@pytest.mark.parametrize("sql", ["SELEC nothing", ""])
def test_unreadable_sql_has_no_gaps(sql: str) -> None:
    assert answer_gaps(sql, None, CONTEXT, "duckdb") == []


def test_a_rule_whose_sql_the_gold_applies_and_the_answer_does_not_was_ignored() -> None:
    found = kinds("SELECT sum(amount) FROM invoices", gold="SELECT sum(amount) FROM invoices WHERE status = 'paid'")
    assert found["rule_ignored"] == "status = 'paid'"
    assert "rule_ignored" not in kinds("SELECT sum(amount) FROM invoices WHERE status = 'paid'",
                                       gold="SELECT sum(amount) FROM invoices WHERE  STATUS = 'paid'")
