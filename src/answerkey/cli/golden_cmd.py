"""``answerkey golden check``: execute every gold answer and flag the ones that cannot be trusted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import console, print_findings, print_json, progress_bar

__all__ = ["register"]

golden_app = typer.Typer(help="The golden question set.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the golden commands to ``app``."""
    app.add_typer(golden_app, name="golden")


@golden_app.command("check")
def check_command(
    golden: Annotated[Path, typer.Option(help="The golden set (JSONL or YAML).")],
    warehouse: Annotated[str, typer.Option(help="duckdb:///path.duckdb, a .duckdb path or a SQLAlchemy URL.")],
    timeout: Annotated[float, typer.Option(help="Seconds a query may run.")] = 30.0,
    allow_superuser: Annotated[bool, typer.Option("--allow-superuser", help="Check even when the PostgreSQL "
                                                  "warehouse URL connects as a superuser.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Gold that errors, returns nothing, changes between runs, cuts ties with LIMIT, leaves a required
    order undecided, or whose alternatives disagree (exit 1 when any finding is an error)."""
    from answerkey.analytics.golden import load_golden
    from answerkey.analytics.golden_check import check_golden
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.analytics.warehouse_check import refuse_superuser

    refuse_superuser(warehouse, allow_superuser)
    questions = load_golden(golden)
    with progress_bar("checking gold", enabled=not as_json) as on_progress:
        findings = check_golden(questions, open_warehouse(warehouse, timeout), on_progress)
    if as_json:
        print_json([f.to_dict() for f in findings])
    elif findings:
        print_findings(findings)
    else:
        console.print(f"all {len(questions)} gold answers check out")
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)
