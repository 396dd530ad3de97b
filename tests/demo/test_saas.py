"""The analytics demo: a SaaS warehouse with an MRR trap, its context, 40+ golden questions, a baseline agent
whose failures the diagnosis traces to the context that was missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.analytics.agents import CallableAgent
from answerkey.analytics.context import load_context
from answerkey.analytics.context_check import check_context
from answerkey.analytics.evaluation import EvalRun, evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.golden_check import check_golden
from answerkey.analytics.warehouse import Warehouse, open_warehouse
from answerkey.demo.saas import baseline_agent, build_saas_warehouse, golden_questions, write_context


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, list[GoldenQuestion], Path, EvalRun]:
    folder = tmp_path_factory.mktemp("saas")
    warehouse = open_warehouse(str(build_saas_warehouse(folder / "w.duckdb")))
    questions = [GoldenQuestion.model_validate(q) for q in golden_questions()]
    context = write_context(folder / "context")
    run = evaluate(questions, None, warehouse, agent=CallableAgent(baseline_agent), context=load_context(context))
    return warehouse, questions, context, run


def test_the_golden_set_has_forty_questions_or_more_and_its_gold_checks_out(
        demo: tuple[Warehouse, list[GoldenQuestion], Path, EvalRun]) -> None:
    warehouse, questions, _, _ = demo
    assert len(questions) >= 40
    assert check_golden(questions, warehouse) == []


def test_the_mrr_trap_is_real_the_legacy_table_disagrees_with_the_metric(
        demo: tuple[Warehouse, list[GoldenQuestion], Path, EvalRun]) -> None:
    warehouse, _, _, _ = demo
    legacy = warehouse.execute("SELECT mrr FROM mrr_legacy WHERE month = '2026-06'").rows[0][0]
    right = warehouse.execute(next(q for q in golden_questions() if q["id"] == "mrr-2026-06")["gold_sql"]).rows[0][0]
    assert float(legacy) > float(right) * 1.2  # trials and annual plans at full price inflate it


def test_the_baseline_gets_some_right_and_the_diagnosis_names_the_missing_context(
        demo: tuple[Warehouse, list[GoldenQuestion], Path, EvalRun]) -> None:
    _, questions, _, run = demo
    summary = run.summary()
    assert 0 < summary["passed"] < len(questions)
    fixes = {(g["kind"], g["subject"]): g["failures"] for g in summary["context_gaps"]}
    assert fixes[("deprecated_table", "mrr_legacy")] == 9
    assert fixes[("metric_undefined", "net_revenue")] == 9
    assert fixes[("undescribed_column", "subscriptions.is_trial")] >= 5
    assert fixes[("rule_ignored", "status = 'paid'")] == 1  # the top accounts counted void invoices
    assert summary["accuracy_by_tag"]["metric:mrr"] == 0.0
    assert summary["accuracy_by_tag"]["accounts"] == 1.0


def test_context_check_flags_the_undescribed_trial_flag(
        demo: tuple[Warehouse, list[GoldenQuestion], Path, EvalRun]) -> None:
    warehouse, questions, context, _ = demo
    findings = check_context(load_context(context), warehouse, questions)
    assert {(f.check, f.where) for f in findings} == {("context.undescribed_column", "column subscriptions.is_trial")}


def test_the_warehouse_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    first = open_warehouse(str(build_saas_warehouse(tmp_path / "a.duckdb", n_accounts=60)))
    second = open_warehouse(str(build_saas_warehouse(tmp_path / "b.duckdb", n_accounts=60)))
    query = "SELECT count(*), sum(amount) FROM invoices"
    assert first.execute(query).rows == second.execute(query).rows
