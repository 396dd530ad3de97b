"""``answerkey verify``: every release, sealed split and the annotation log checked against their hashes."""

from __future__ import annotations

from typing import Annotated

import typer

from answerkey.cli.common import State, console, print_findings, print_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the verify command to ``app``."""
    app.command("verify")(verify_command)


def verify_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recompute every hash the store keeps (releases, seals, the annotation log's chain, items); exits 1 naming
    each failure."""
    from answerkey.project.integrity import verify_workspace

    state: State = ctx.obj
    result = verify_workspace(state.open())
    if as_json:
        print_json(result.to_dict())
    else:
        for release in result.releases:
            console.print(f"release {release.release:20} {'ok' if release.ok else 'FAILED'}  "
                          f"{release.recorded_hash[:16]}")
        for name, findings in result.seals.items():
            broken = any(f.severity.value == "error" for f in findings)
            console.print(f"seal    {name:20} {'FAILED' if broken else 'ok'}")
        log = result.annotation_log
        console.print(f"annotation log: {log['entries']:,} entries, head {log['head'] or '-'}")
        console.print(f"items: {result.items:,} checked")
        print_findings(result.all_findings)
        console.print("everything verifies" if result.ok else "verification FAILED")
    if not result.ok:
        raise typer.Exit(1)
