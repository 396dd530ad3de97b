"""``answerkey staleness``: how old the ground truth is, by segment and label, against the review cadence."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_findings, print_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the staleness command to ``app``."""
    app.command("staleness")(staleness_command)


def staleness_command(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Measure ages at this date (default: now).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Age of the labels by segment and label, the schema version they were made under, and what is overdue."""
    from answerkey.project.staleness import workspace_staleness

    state: State = ctx.obj
    report = workspace_staleness(state.open(), as_of)
    if as_json:
        rows = report.table.assign(oldest=report.table["oldest"].astype(str))
        print_json({"as_of": str(report.as_of), "table": rows.to_dict("records"),
                    "findings": [f.to_dict() for f in report.findings]})
        return
    table = Table("segment", "label", "items", "median age (days)", "p90", "cadence", "overdue", "old schema",
                  title=f"ground truth age on {report.as_of:%Y-%m-%d}")
    for row in report.table.to_dict("records"):
        table.add_row(str(row["segment"]), str(row["label"]), f"{row['items']:,}", f"{row['median_age_days']:.0f}",
                      f"{row['p90_age_days']:.0f}", f"{row['cadence_days']:.0f}", f"{row['overdue']:,}",
                      f"{row['old_schema']:,}")
    console.print(table)
    print_findings(report.findings)
