"""Recorded check runs: the latest run of each source is what reports show; a clean run clears old findings."""

from __future__ import annotations

from answerkey.findings import Finding, Severity
from answerkey.project import Workspace
from answerkey.project.findings_log import record_findings, recorded_findings


def leak(feature: str) -> Finding:
    return Finding("leakage.single_feature", f"{feature} alone predicts the label", feature, Severity.ERROR, 0.99,
                   {"auc": 0.99})


def test_the_latest_run_of_each_source_replaces_the_earlier_one(workspace: Workspace) -> None:
    record_findings(workspace, [leak("a"), leak("b")], "leakage features.parquet")
    record_findings(workspace, [leak("z")], "leakage other.parquet")
    assert {f.where for f in recorded_findings(workspace, "leakage")} == {"a", "b", "z"}
    record_findings(workspace, [leak("b")], "leakage features.parquet")
    found = recorded_findings(workspace, "leakage")
    assert sorted(f.where for f in found) == ["b", "z"]
    assert found[0].evidence == {"auc": 0.99}
    assert found[0].severity is Severity.ERROR


def test_a_clean_run_is_recorded_and_leaves_no_findings(workspace: Workspace) -> None:
    record_findings(workspace, [leak("a")], "leakage features.parquet")
    record_findings(workspace, [], "leakage features.parquet")
    assert recorded_findings(workspace, "leakage") == []
    assert recorded_findings(workspace, "contamination") == []
