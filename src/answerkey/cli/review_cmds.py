"""``answerkey disagreements`` (the review queue) and ``answerkey adjudicate`` (a reviewer's decision)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the review commands to ``app``."""
    app.command("disagreements")(disagreements_command)
    app.command("adjudicate")(adjudicate_command)


def disagreements_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most this many items.")] = 50,
    below: Annotated[float, typer.Option(help="Also queue consensus labels less confident than this.")] = 0.8,
    method: Annotated[str | None, typer.Option(help="Consensus method (default: the workspace's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The review queue: disputed and low-confidence items, the ones a decision would most change first."""
    from answerkey.project.adjudication import review_queue

    state: State = ctx.obj
    queue = review_queue(state.open(), limit, below, method)
    if as_json:
        print_json(queue.to_dict(orient="records"))
        return
    if queue.empty:
        console.print("nothing to review: every item is agreed with confidence >= "
                      f"{below:g} or decided by an adjudication or an expert")
        return
    table = Table("item", "consensus", "confidence", "status", "votes", title=f"review queue ({queue.attrs['method']})")
    for row in queue.itertuples():
        label = row.label if isinstance(row.label, str) else "-"
        table.add_row(str(row.item_id), label, f"{row.confidence:.2f}", str(row.status), str(row.votes))
    console.print(table)
    console.print("decide with: answerkey adjudicate ITEM LABEL --by YOU --note WHY")


def adjudicate_command(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="The item decided.")],
    label: Annotated[str, typer.Argument(help="The correct label, in the current schema.")],
    by: Annotated[str, typer.Option("--by", help="Who decided (the reviewer).")],
    note: Annotated[str | None, typer.Option(help="Why: the reason future readers need.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record a reviewer's decision on an item; it outranks the crowd from now on and is never overwritten."""
    from answerkey.project.adjudication import adjudicate

    state: State = ctx.obj
    decision = adjudicate(state.open(), item_id, label, by, note)
    if as_json:
        print_json(decision.to_dict())
        return
    was = f" (consensus was {decision.previous_label})" if decision.previous_label else ""
    console.print(f"{decision.item_id} is {decision.label} by {decision.reviewer}{was}")
