"""The ``answerkey`` command: thin commands over the library, one-line errors with exit status 2."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from answerkey.cli import (
    agreement_cmd,
    annotators_cmd,
    consensus_cmd,
    context_cmd,
    datasheet_cmd,
    demo_cmd,
    eval_cmd,
    feedback_cmd,
    golden_cmd,
    import_cmds,
    label_issues_cmd,
    labels_cmds,
    leakage_cmd,
    metrics_cmd,
    monitor_cmds,
    release_cmds,
    report_cmd,
    review_cmds,
    schema_cmds,
    split_cmds,
    staleness_cmd,
    verify_cmd,
    warehouse_cmd,
    web_cmds,
    workspace_cmds,
)
from answerkey.cli.common import State, err_console
from answerkey.errors import AnswerkeyError

__all__ = ["app", "run"]

app = typer.Typer(
    name="answerkey",
    help="Ground truth as infrastructure: schema, annotations, agreement, releases.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace folder (default: current or above).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """answerkey keeps the answer key honest."""
    ctx.obj = State(workspace_dir=workspace, debug=debug)


workspace_cmds.register(app)
schema_cmds.register(app)
import_cmds.register(app)
release_cmds.register(app)
demo_cmd.register(app)
agreement_cmd.register(app)
consensus_cmd.register(app)
review_cmds.register(app)
annotators_cmd.register(app)
eval_cmd.register(app)
golden_cmd.register(app)
context_cmd.register(app)
metrics_cmd.register(app)
feedback_cmd.register(app)
split_cmds.register(app)
leakage_cmd.register(app)
label_issues_cmd.register(app)
staleness_cmd.register(app)
monitor_cmds.register(app)
report_cmd.register(app)
labels_cmds.register(app)
datasheet_cmd.register(app)
verify_cmd.register(app)
warehouse_cmd.register(app)
web_cmds.register(app)


def run(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line on stderr and exit 2; --debug shows the traceback."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("ANSWERKEY_DEBUG"))
    try:
        app(args=args, prog_name="answerkey")
    except AnswerkeyError as exc:
        if debug:
            raise
        err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        raise SystemExit(2) from None
    except OperationalError as exc:
        if debug:
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err_console.print(f"[red]error:[/] the store did not answer: {reason}", soft_wrap=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing half-written was kept")
        raise SystemExit(130) from None


if __name__ == "__main__":  # pragma: no cover
    run()
