"""``answerkey consensus``: one label per item with its confidence, and ``--compare`` to choose a method."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the consensus command to ``app``."""
    app.command("consensus")(consensus_command)


def consensus_command(
    ctx: typer.Context,
    method: Annotated[str, typer.Option(help="auto, majority, weighted-majority, dawid-skene, one-coin or glad.")]
    = "auto",
    compare: Annotated[bool, typer.Option("--compare", help="Score every method against expert labels.")] = False,
    schema_version: Annotated[int | None, typer.Option(help="Judgements of this schema version.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the labels (.csv or .parquet).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Consensus labels of the workspace's judgements (model sources excluded)."""
    from answerkey.project.consensus import compare_methods, workspace_consensus

    state: State = ctx.obj
    workspace = state.open()
    if compare:
        scores = compare_methods(workspace, schema_version)
        if as_json:
            print_json([s.to_dict() for s in scores])
            return
        table = Table("method", "accuracy vs expert", "items compared", "disputed")
        for s in scores:
            table.add_row(s.method, f"{s.accuracy:.4f}", f"{s.items_compared:,}", f"{s.disputed:,}")
        console.print(table)
        return
    chosen, labels = workspace_consensus(workspace, method, schema_version)
    if output is not None:
        labels.to_parquet(output, index=False) if output.suffix == ".parquet" else labels.to_csv(output, index=False)
    summary: dict[str, Any] = {
        "method": chosen,
        "items": len(labels),
        "status_counts": {str(k): int(v) for k, v in labels["status"].value_counts().sort_index().items()},
        "mean_confidence": float(labels["confidence"].mean()) if len(labels) else None,
        "label_counts": {str(k): int(v) for k, v in labels["label"].dropna().value_counts().sort_index().items()},
    }
    if as_json:
        print_json(summary)
        return
    console.print(f"{summary['items']:,} items by {chosen}: "
                  + ", ".join(f"{k} {v:,}" for k, v in summary["status_counts"].items())
                  + f"; mean confidence {summary['mean_confidence']:.3f}")
    if output is not None:
        console.print(f"labels written to {output}")
