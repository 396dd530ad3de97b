"""``answerkey eval``: judge answers to the golden questions by executing them on the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import console, print_json, progress_bar

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the eval command to ``app``."""
    app.command("eval")(eval_command)


def eval_command(
    golden: Annotated[Path, typer.Option(help="The golden set (JSONL or YAML).")],
    warehouse: Annotated[str, typer.Option(help="duckdb:///path.duckdb, a .duckdb path or a SQLAlchemy URL.")],
    answers: Annotated[Path | None, typer.Option(help="Answers JSONL: {id, sql} or {id, result}.")] = None,
    agent: Annotated[str | None, typer.Option(help="A command ('python my_agent.py'), an http(s):// endpoint "
                                                   "or py:module:function; asked each question.")] = None,
    agent_timeout: Annotated[float, typer.Option(help="Seconds the agent may take per question.")] = 60.0,
    preset: Annotated[str, typer.Option(help="default, spider, bird, spider2 or strict.")] = "default",
    timeout: Annotated[float, typer.Option(help="Seconds a query may run.")] = 30.0,
    concurrency: Annotated[int, typer.Option(help="Questions judged at once.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Execute gold and answer read-only, compare the results, and give each question a verdict (exit 1 when
    any question fails)."""
    from answerkey.analytics.agents import agent_from_spec
    from answerkey.analytics.compare import PRESETS
    from answerkey.analytics.evaluation import evaluate
    from answerkey.analytics.golden import load_golden, read_answers
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.errors import ParameterError

    if preset not in PRESETS:
        raise ParameterError.invalid("--preset", f"one of {', '.join(PRESETS)}", preset)
    if (answers is None) == (agent is None):
        raise ParameterError("give --answers FILE or --agent COMMAND (one of them)")
    questions = load_golden(golden)
    given = read_answers(answers) if answers is not None else None
    chosen = agent_from_spec(agent) if agent is not None else None
    with progress_bar("judging", enabled=not as_json) as on_progress:
        run = evaluate(questions, given, open_warehouse(warehouse, timeout), PRESETS[preset], agent=chosen,
                       agent_timeout_s=agent_timeout, concurrency=concurrency, on_progress=on_progress)
    if as_json:
        print_json(run.to_dict())
    else:
        summary = run.summary()
        table = Table("question", "verdict", "why")
        for result in run.results:
            if result.verdict != "pass":
                table.add_row(result.id, result.verdict, result.reason)
        if table.row_count:
            console.print(table)
        console.print(f"run {run.run_id}: {summary['passed']}/{summary['questions']} passed "
                      + ", ".join(f"{k} {v}" for k, v in summary["verdicts"].items()))
    if any(r.verdict != "pass" for r in run.results):
        raise typer.Exit(1)
