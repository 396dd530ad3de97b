"""One definition, three uses: a golden question's gold given as a metric query, judged against the context
layer's compiled SQL, with a wrong answer traced to the metric it recomputed its own way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.analytics.test_semantic_check import SPINE, _context, shop_warehouse

from answerkey.analytics.context import load_context
from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion, load_golden
from answerkey.analytics.golden_metrics import resolve_metric_golds
from answerkey.analytics.warehouse import Warehouse
from answerkey.errors import MetricQueryError, ParameterError

WEEKLY = {"id": "w", "question": "Trailing 7-day revenue each day?",
          "expected_metric": {"metrics": ["revenue_7d"], "group_by": ["metric_time__day"]}}
BY_REGION = {"id": "r", "question": "Revenue by region?",
             "expected_metric": {"metrics": ["revenue"], "group_by": ["customer__region"]}}


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return shop_warehouse(tmp_path)


def _golden(tmp_path: Path, *questions: dict[str, object]) -> list[GoldenQuestion]:
    path = tmp_path / "golden.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in questions))
    return load_golden(path)


def test_an_expected_metric_is_judged_against_the_metrics_own_definition(tmp_path: Path,
                                                                          warehouse: Warehouse) -> None:
    context = load_context(_context(tmp_path / "context", spine=SPINE))
    questions = _golden(tmp_path, WEEKLY, BY_REGION)
    right = ("SELECT d AS metric_time__day, SUM(o.amount) AS revenue_7d FROM (SELECT DISTINCT CAST(range AS DATE) "
             "AS d FROM range(DATE '2024-01-01', DATE '2024-03-01', INTERVAL 1 DAY)) AS s JOIN orders AS o "
             "ON o.ordered_on <= d AND o.ordered_on > d - INTERVAL 7 DAY GROUP BY d")
    all_time = "SELECT ordered_on AS metric_time__day, SUM(amount) AS revenue_7d FROM orders GROUP BY ordered_on"
    by_region = ("SELECT c.region AS customer__region, SUM(o.amount) AS revenue FROM orders AS o "
                 "JOIN customers AS c USING (customer_id) GROUP BY 1")
    run = evaluate(questions, {"w": {"sql": right}, "r": {"sql": by_region}}, warehouse, context=context)
    assert [r.verdict for r in run.results] == ["pass", "pass"]
    run = evaluate(questions, {"w": {"sql": all_time}, "r": {"sql": by_region}}, warehouse, context=context)
    assert [r.verdict for r in run.results] == ["result-mismatch", "pass"]


def test_a_metric_recomputed_its_own_way_is_the_gap_named_with_the_metrics_meaning(
        tmp_path: Path, warehouse: Warehouse) -> None:
    context = load_context(_context(tmp_path / "context", spine=SPINE))
    questions = _golden(tmp_path, BY_REGION)
    own_way = ("SELECT c.region AS customer__region, SUM(CASE WHEN o.status = 'done' THEN o.amount END) AS revenue "
               "FROM orders AS o JOIN customers AS c USING (customer_id) GROUP BY 1")
    result = evaluate(questions, {"r": {"sql": own_way}}, warehouse, context=context).results[0]
    assert result.verdict == "result-mismatch"
    gaps = [d for d in result.differences if d["kind"] == "context:metric_bypassed"]
    assert [g["answer"] for g in gaps] == [["revenue"]]
    assert "it means sum of amount in orders" in gaps[0]["what"]


def test_an_expected_metric_needs_the_context_and_a_metric_that_compiles(tmp_path: Path,
                                                                         warehouse: Warehouse) -> None:
    questions = _golden(tmp_path, BY_REGION)
    with pytest.raises(ParameterError, match="question r gives its gold as expected_metric"):
        evaluate(questions, {"r": {"sql": "SELECT 1"}}, warehouse)
    broken = _golden(tmp_path, {**BY_REGION, "expected_metric": {"metrics": ["revenu"], "group_by": []}})
    context = load_context(_context(tmp_path / "context", spine=SPINE))
    with pytest.raises(MetricQueryError, match=r"question r: expected_metric does not compile: .*did you mean "
                                               r"revenue\?"):
        resolve_metric_golds(broken, context, "duckdb")


def test_a_golden_entry_with_two_kinds_of_gold_is_refused(tmp_path: Path) -> None:
    from answerkey.errors import ImportValidationError

    with pytest.raises(ImportValidationError, match="exactly one of gold_sql, expected, expected_metric"):
        _golden(tmp_path, {**BY_REGION, "gold_sql": "SELECT 1"})
