"""``answerkey label-issues``: likely label errors, worst first, optionally queued for review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_json
from answerkey.errors import ParameterError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the label-issues command to ``app``."""
    app.command("label-issues")(label_issues_command)


def label_issues_command(
    ctx: typer.Context,
    release: Annotated[str | None, typer.Option(help="Check this release's agreed labels.")] = None,
    features: Annotated[Path | None, typer.Option(
        help="Features table with item_id (default: the items' own fields); 5-fold logistic regression.")] = None,
    text_column: Annotated[str | None, typer.Option(help="A free-text feature column (TF-IDF).")] = None,
    labels: Annotated[Path | None, typer.Option(help="Labels file (item_id, label), with --pred-probs.")] = None,
    pred_probs: Annotated[Path | None, typer.Option(
        "--pred-probs", help="Your out-of-sample probabilities: item_id and one column per class.")] = None,
    folds: Annotated[int, typer.Option(help="Cross-validation folds for the probabilities.")] = 5,
    no_annotators: Annotated[bool, typer.Option(
        "--no-annotators", help="Ignore the annotators' agreement; judge by the model alone.")] = False,
    queue: Annotated[bool, typer.Option("--queue", help="Send the flagged items to the review queue.")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many flagged items.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Items whose label is likely wrong (confident learning), with the label they more likely have."""
    from answerkey.project.label_issues import file_label_issues, release_label_issues

    state: State = ctx.obj
    if release is not None:
        if labels is not None or pred_probs is not None:
            raise ParameterError("give either --release (and --features) or --labels with --pred-probs, not both")
        workspace = state.open()
        run = release_label_issues(workspace, release, features, text_column=text_column, folds=folds,
                                   use_annotators=not no_annotators)
    elif labels is not None and pred_probs is not None:
        if queue:
            raise ParameterError("--queue needs --release: flags go to a workspace's review queue")
        run = file_label_issues(labels, pred_probs)
    else:
        raise ParameterError("give --release NAME (with --features FILE or the items' fields) or --labels FILE "
                             "with --pred-probs FILE")
    queued = run.queue(workspace) if queue and release is not None else 0
    if as_json:
        print_json({**run.to_dict(), "queued": queued})
        return
    issues = run.issues
    console.print(f"{len(issues):,} likely label errors among {len(run.items):,} items ({run.method})")
    table = Table("rank", "item", "label", "more likely", "label quality")
    for row in issues.head(limit).to_dict("records"):
        table.add_row(str(row["rank"]), str(row["item_id"]), str(row["given_label"]), str(row["suggested_label"]),
                      f"{row['score']:.3f}" if row["score"] >= 0.001 else "<0.001")
    console.print(table)
    if queued:
        console.print(f"{queued:,} items sent to the review queue: answerkey disagreements")
