"""The report's quality sections show the demo's annotators as they were generated, with their charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from answerkey.project.demo import build_demo
from answerkey.report.charts import heatmap, line_chart


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    result = build_demo(tmp_path_factory.mktemp("report") / "demo")
    return Path(result.report).read_text(encoding="utf-8")


def section(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', html, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_the_annotators_section_lists_the_careless_one_last_and_shows_the_confusers_matrix(report: str) -> None:
    annotators = section(report, "annotators")
    names = re.findall(r"<tr><td>(\w+)</td><td>[\d,]+</td>", annotators)
    assert names[-1] == "kai"
    assert "lena: estimated confusion (Dawid-Skene)" in annotators
    assert "kai: estimated confusion (Dawid-Skene)" in annotators
    assert "Cohen&#x27;s kappa between pairs of annotators" in annotators


def test_the_drift_section_names_the_drifter_and_draws_him_bold(report: str) -> None:
    drift = section(report, "drift")
    assert "annotator omar, 2026-09" in drift
    assert re.search(r'font-weight="600">omar</text>', drift)
    assert not re.search(r"annotator (ana|ben|chloe|dev|eva|kai|lena),", drift)
    assert "How the schema versions moved the labels" in drift
    assert re.search(r"<td>billing</td><td>0\.\d{3}</td><td>0\.\d{3}</td>", drift)  # the split label, joined


def test_the_consensus_section_gives_the_method_the_policy_the_evidence_and_the_queue(report: str) -> None:
    consensus = section(report, "consensus")
    assert "authority policy: adjudicated &gt; expert" in consensus
    assert "accuracy vs expert labels" in consensus
    assert "Review queue:" in consensus


def test_a_heatmap_draws_one_cell_per_value_and_leaves_missing_ones_grey() -> None:
    svg = heatmap(["a", "b"], ["x", "y"], [[1.0, 0.0], [None, 0.5]], "t")
    assert svg.count("<rect") == 4
    assert svg.count('fill="#eee"') == 1
    assert ">0.50<" in svg
    assert heatmap([], [], [], "t") == ""


def test_a_line_chart_breaks_its_line_where_a_value_is_missing() -> None:
    svg = line_chart(["1", "2", "3", "4"], {"s": [0.5, None, 0.7, 0.8]}, "t", highlight=("s",))
    assert svg.count("<polyline") == 2
    assert 'stroke-width="3"' in svg


def test_the_analytics_section_shows_the_baseline_run_and_its_context_gaps(report: str) -> None:
    analytics = section(report, "analytics")
    assert "py:answerkey.demo.saas:baseline_agent" in analytics
    assert "describe column subscriptions.is_trial" in analytics
    assert "retire table mrr_legacy" in analytics
    assert "&amp;#x27;" not in report  # table cells are escaped once


def test_the_splits_section_shows_the_seal_the_overused_test_set_and_the_contamination(report: str) -> None:
    splits = section(report, "splits")
    assert "test split sealed" in splits
    assert "looked at 12 times" in splits
    assert "cut a fresh test set" in splits
    for tier in ("exact", "near_text", "group", "conflicting_labels"):
        assert f"<td>{tier}</td>" in splits


def test_the_leakage_section_finds_the_demos_three_planted_leaks(report: str) -> None:
    leakage = section(report, "leakage")
    assert re.search(r"<td>error</td><td>handled_by_team</td><td>[^<]*after the label is known", leakage)
    assert re.search(r"<td>error</td><td>customer_refund_rate</td><td>[^<]*target encoding", leakage)
    assert re.search(r"<td>warning</td><td>ticket_number</td><td>[^<]*identifier", leakage)
    assert "message_words" not in leakage


def test_the_label_errors_section_shows_flagged_items_waiting_in_the_review_queue(report: str) -> None:
    errors = section(report, "label-errors")
    flagged = re.search(r"([\d,]+) items flagged as likely label errors; ([\d,]+) still wait", errors)
    assert flagged
    assert int(flagged.group(1).replace(",", "")) >= 20
    assert int(flagged.group(2).replace(",", "")) >= 1
    assert "<th>more likely</th>" in errors


def test_the_monitoring_section_shows_the_routers_signal_and_its_charts(report: str) -> None:
    monitoring = section(report, "monitoring")
    assert "<h3>ticket-router</h3>" in monitoring
    assert re.search(r"Signal: (retrain now|refresh the ground truth first)", monitoring)
    assert "accuracy by window: realized" in monitoring
    assert re.search(r'font-weight="600">estimated</text>', monitoring)
    assert "share of each window" in monitoring
    assert "drift by window" in monitoring
    assert "concept" not in monitoring.split("Signal:")[0]
    assert "the outcomes contradict the estimate" in monitoring
    assert re.search(r"Label lag: median \d+\.\d days", monitoring)
