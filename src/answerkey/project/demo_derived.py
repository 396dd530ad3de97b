"""The demo's derived ground truth, built through the same library calls a user's commands make: a behavioural
definition registered and derived on DuckDB, labeling functions run and written, and the feedback-loop check
recorded for the report."""

from __future__ import annotations

from pathlib import Path

from answerkey.demo import DemoData
from answerkey.project.workspace import Workspace

__all__ = ["derive_demo_labels"]


def derive_demo_labels(workspace: Workspace, data: DemoData, data_dir: Path) -> None:
    """Write the inputs under ``data_dir``/derived, derive, run the rules, and record the feedback check."""
    from answerkey.demo.derived import DEFINITION, RULES, generate_derived
    from answerkey.labels import load_definition
    from answerkey.monitoring.engines import connect
    from answerkey.project.behavioral import derive_labels, register_definition
    from answerkey.project.findings_log import record_findings
    from answerkey.project.sources import workspace_feedback_check
    from answerkey.project.synthetic import run_labeling_functions

    derived = generate_derived(data.items, data.truth)
    folder = data_dir / "derived"
    folder.mkdir(parents=True, exist_ok=True)
    derived.anchors.to_parquet(folder / "ticket_anchors.parquet", index=False)
    derived.events.to_parquet(folder / "account_events.parquet", index=False)
    derived.predictions.to_parquet(folder / "router_predictions.parquet", index=False)
    definition_path = folder / "cancelled_within_90_days.yaml"
    definition_path.write_text(DEFINITION.format(data=folder), encoding="utf-8")
    rules = folder / "rules.py"
    rules.write_text(RULES, encoding="utf-8")
    definition = load_definition(definition_path)
    register_definition(workspace, definition)
    derive_labels(workspace, definition.name, connect("duckdb"), as_of=derived.as_of.to_pydatetime())
    run_labeling_functions(workspace, rules, write=True)
    report = workspace_feedback_check(workspace, derived.predictions, positive=["cancellation"],
                                      source_column="annotator_id")
    record_findings(workspace, report.findings, "labels feedback-check router_predictions.parquet")
