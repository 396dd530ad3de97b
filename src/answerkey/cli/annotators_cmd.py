"""``answerkey annotators``: each annotator's volume, agreement and confusion; ``annotators drift`` over time."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_findings, print_json

__all__ = ["register"]

annotators_app = typer.Typer(help="Annotators: volume, agreement with consensus, confusion, drift.",
                             invoke_without_command=True)


def register(app: typer.Typer) -> None:
    """Add the annotators commands to ``app``."""
    app.add_typer(annotators_app, name="annotators")


@annotators_app.callback()
def annotators_command(
    ctx: typer.Context,
    schema_version: Annotated[int | None, typer.Option(help="Judgements of this schema version.")] = None,
    confusion: Annotated[str | None, typer.Option(help="Print this annotator's estimated confusion matrix.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each person who labelled: volume, agreement with the consensus and the others, estimated accuracy and
    the confusion they make most; best first, so the one to look at is last."""
    if ctx.invoked_subcommand is not None:
        return
    from answerkey.errors import NotFoundError
    from answerkey.project.annotators import workspace_annotators

    state: State = ctx.obj
    profiles = workspace_annotators(state.open(), schema_version)
    if as_json:
        print_json(profiles.to_dict())
        return
    if confusion is not None:
        if confusion not in profiles.confusions:
            raise NotFoundError(f"no annotator {confusion!r}; annotators: {', '.join(map(str, profiles.confusions))}")
        matrix = profiles.confusions[confusion]
        table = Table("true \\ given", *map(str, matrix.columns), title=f"{confusion}: estimated confusion")
        for true, rates in zip(matrix.index, matrix.to_numpy(), strict=True):
            table.add_row(str(true), *(f"{v:.2f}" for v in rates))
        console.print(table)
        return
    table = Table("annotator", "judged", "vs consensus", "vs others", "accuracy", "top confusion (rate)",
                  caption="accuracy: Dawid-Skene estimate; vs others: agreement with the others' majority")
    for row in profiles.table.to_dict(orient="records"):
        top = f"{row['top_confusion']} ({row['top_confusion_rate']:.2f})" if row["top_confusion"] else "-"
        table.add_row(str(row["annotator_id"]), f"{row['judgements']:,}", f"{row['agreement_with_consensus']:.3f}",
                      f"{row['agreement_with_others']:.3f}", f"{row['estimated_accuracy']:.3f}", top)
    console.print(table)


@annotators_app.command("drift")
def drift_command(
    ctx: typer.Context,
    window: Annotated[str, typer.Option(help="week, month or quarter.")] = "month",
    alpha: Annotated[float, typer.Option(help="Family-wise error rate of each kind of test (Holm).")] = 0.01,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Annotation drift: who changed how they label, and when (exit 1 when anyone drifted)."""
    from answerkey.project.annotators import workspace_drift

    state: State = ctx.obj
    drift = workspace_drift(state.open(), window, alpha)
    if as_json:
        print_json(drift.to_dict())
    elif drift.findings:
        print_findings(drift.findings)
    else:
        console.print(f"no annotator drifted ({len(drift.windows):,} annotator-{window}s tested)")
    if drift.findings:
        raise typer.Exit(1)
