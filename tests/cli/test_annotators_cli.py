"""``answerkey annotators`` and ``answerkey annotators drift`` on the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_consensus_cli import answerkey


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("annotators") / "demo"
    assert answerkey("demo", root).returncode == 0
    return root


def test_annotators_lists_everyone_best_first_with_the_careless_one_last(demo: Path) -> None:
    result = json.loads(answerkey("--workspace", demo, "annotators", "--json").stdout)
    names = [row["annotator_id"] for row in result["annotators"]]
    assert sorted(names) == ["ana", "ben", "chloe", "dev", "eva", "kai", "lena", "omar"]
    assert names[-1] == "kai"
    assert result["confusions"]["lena"]["account_access"]["technical_issue"] > 0.7


def test_annotators_prints_one_confusion_matrix_and_refuses_an_unknown_name(demo: Path) -> None:
    shown = answerkey("--workspace", demo, "annotators", "--confusion", "lena")
    assert shown.returncode == 0
    assert "lena: estimated confusion" in shown.stdout
    unknown = answerkey("--workspace", demo, "annotators", "--confusion", "nobody")
    assert unknown.returncode == 2
    assert "no annotator 'nobody'" in unknown.stderr


def test_drift_names_the_drifter_and_the_months_and_exits_1(demo: Path) -> None:
    result = answerkey("--workspace", demo, "annotators", "drift", "--window", "month", "--json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    assert findings
    assert {f["where"].split(",")[0] for f in findings} == {"annotator omar"}
    text = answerkey("--workspace", demo, "annotators", "drift")
    assert "annotator omar, 2026-09" in text.stdout


def test_drift_with_an_unknown_window_exits_2(demo: Path) -> None:
    result = answerkey("--workspace", demo, "annotators", "drift", "--window", "year")
    assert result.returncode == 2
    assert "window must be one of week, month, quarter" in result.stderr


def test_agreement_by_schema_version_measures_each_version_on_its_own(demo: Path) -> None:
    result = answerkey("--workspace", demo, "agreement", "--by", "schema_version", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["group"] for row in rows] == [1, 2]
    assert all(0 < row["krippendorff_alpha"] < 1 for row in rows)
