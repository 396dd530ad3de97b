"""``answerkey warehouse check``: what the role in a warehouse URL can do beyond reading its data."""

from __future__ import annotations

from typing import Annotated

import typer

from answerkey.cli.common import console, print_findings, print_json

__all__ = ["register"]

warehouse_app = typer.Typer(help="The warehouse agent SQL is judged on.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the warehouse commands to ``app``."""
    app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("check")
def check_command(
    url: Annotated[str, typer.Argument(help="duckdb:///path.duckdb, a .duckdb path or a SQLAlchemy URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Superuser, file access, other databases, tables it may write (exit 1 when any finding is an error)."""
    from answerkey.analytics.warehouse_check import check_warehouse

    findings = check_warehouse(url)
    if as_json:
        print_json([f.to_dict() for f in findings])
    else:
        print_findings(findings)
        if all(f.severity.value == "info" for f in findings):
            console.print("the warehouse role can read, and no more was found")
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)
