"""``answerkey feedback``: log reviewer verdicts on production answers; propose golden questions from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console, print_json

__all__ = ["register"]

feedback_app = typer.Typer(help="Production feedback on an analytics agent.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the feedback commands to ``app``."""
    app.add_typer(feedback_app, name="feedback")


@feedback_app.command("log")
def log_command(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Feedback JSONL: question, sql, "
                                                                              "verdict, reviewer, corrected_sql.")]
                ) -> None:
    """Append the feedback (all of it or, on any bad line, none)."""
    from answerkey.analytics.feedback import log_feedback, read_feedback

    state: State = ctx.obj
    entries = read_feedback(file)
    added = log_feedback(state.open(), entries)
    console.print(f"{added} of {len(entries)} feedback entries added ({len(entries) - added} already logged)")


@feedback_app.command("candidates")
def candidates_command(
    ctx: typer.Context,
    warehouse: Annotated[str | None, typer.Option(help="Propose only gold that runs on this warehouse.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the candidates as golden JSONL.")]
    = None,
) -> None:
    """Golden question candidates from verified corrections, for review before they join the golden set."""
    from answerkey.analytics.feedback import golden_candidates
    from answerkey.analytics.warehouse import open_warehouse

    state: State = ctx.obj
    candidates = golden_candidates(state.open(), open_warehouse(warehouse) if warehouse else None)
    if output is None:
        print_json(candidates)
        return
    output.write_text("".join(json.dumps(c) + "\n" for c in candidates), encoding="utf-8")
    console.print(f"{len(candidates)} candidate(s) written to {output}; review them before adding to the golden set")
