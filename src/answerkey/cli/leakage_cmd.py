"""``answerkey leakage``: features that know the label because of how or when they were recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_findings, print_json
from answerkey.errors import ParameterError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the leakage command to ``app``."""
    app.command("leakage")(leakage_command)


def leakage_command(
    ctx: typer.Context,
    features: Annotated[Path, typer.Argument(help="The features table (CSV, JSONL or Parquet), one row an example.")],
    label: Annotated[str, typer.Option("--label", help="The label column.")],
    label_time: Annotated[str | None, typer.Option("--label-time", help="Column of when the label became known.")]
    = None,
    feature_times: Annotated[Path | None, typer.Option(
        "--feature-times", help="File with columns feature, available_at (a column name or a timestamp).")] = None,
    feature: Annotated[list[str] | None, typer.Option("--feature", help="Check only these columns.")] = None,
    order: Annotated[str | None, typer.Option(help="Column giving the rows' order (default: file order).")] = None,
    threshold: Annotated[float, typer.Option(help="One-feature ROC AUC from which a feature is flagged.")] = 0.9,
    release: Annotated[str | None, typer.Option(help="Take the label from this release (joined on item_id).")]
    = None,
    record: Annotated[bool, typer.Option("--record", help="Keep the findings in the workspace for the report.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per feature: how well it alone predicts the label, whether it is known only after the label, ids and
    row order that predict it, target encodings over the whole set. Exits 1 when a finding is an error."""
    from answerkey.project.findings_log import record_findings
    from answerkey.project.leakage import file_leakage

    if not 0.5 < threshold <= 1.0:
        raise ParameterError.invalid("--threshold", "a ROC AUC in (0.5, 1]", threshold)
    state: State = ctx.obj
    workspace = state.open() if (release or record) else None
    report = file_leakage(features, label, label_time=label_time, feature_times=feature_times, columns=feature,
                          order=order, auc_threshold=threshold, workspace=workspace, release=release)
    if workspace is not None and record:
        record_findings(workspace, report.findings, f"leakage {features.name}", release)
    if as_json:
        rows = report.features.astype(object).where(report.features.notna(), None).to_dict("records")
        print_json({"features": rows, "row_order_auc": report.row_order_auc,
                    "findings": [f.to_dict() for f in report.findings]})
    else:
        table = Table("feature", "kind", "AUC alone", "MI (nats)", "flagged", "why", title=f"leakage: {features.name}")
        for row in report.features.to_dict("records"):
            table.add_row(str(row["feature"]), str(row["kind"]), _number(row["auc"]),
                          _number(row["mutual_information"]), "yes" if row["flagged"] else "",
                          str(row["reasons"] or ""))
        console.print(table)
        print_findings(report.findings)
    if any(f.severity.value == "error" for f in report.findings):
        raise typer.Exit(1)


def _number(value: object) -> str:
    return "-" if value is None or value != value else f"{float(value):.3f}"  # type: ignore[arg-type]
