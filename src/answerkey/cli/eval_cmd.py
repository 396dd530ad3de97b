"""``answerkey eval``: judge answers to the golden questions by executing them; ``eval report``, ``eval compare``
and ``eval list`` read the runs the workspace recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import (
    State,
    as_of_option,
    console,
    context_layer,
    err_console,
    limits_of,
    print_json,
    progress_bar,
    suites_folder,
)

__all__ = ["register"]

eval_app = typer.Typer(help="Evaluate an analytics agent against the golden questions.",
                       invoke_without_command=True)


def register(app: typer.Typer) -> None:
    """Add the eval commands to ``app``."""
    app.add_typer(eval_app, name="eval")


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    golden: Annotated[Path | None, typer.Option(help="The golden set (JSONL or YAML).")] = None,
    warehouse: Annotated[str | None, typer.Option(help="duckdb:///path.duckdb, a .duckdb path or a SQLAlchemy "
                                                       "URL.")] = None,
    answers: Annotated[Path | None, typer.Option(help="Answers JSONL: {id, sql} or {id, result}.")] = None,
    agent: Annotated[str | None, typer.Option(help="A command ('python my_agent.py'), an http(s):// endpoint "
                                                   "or py:module:function; asked each question.")] = None,
    agent_timeout: Annotated[float, typer.Option(help="Seconds the agent may take per question.")] = 60.0,
    agent_version: Annotated[str | None, typer.Option(help="The agent's version, recorded with the run.")] = None,
    preset: Annotated[str, typer.Option(help="default, spider, spider-official, bird, spider2 or strict.")] = "default",
    timeout: Annotated[float, typer.Option(help="Seconds a query may run.")] = 30.0,
    concurrency: Annotated[int, typer.Option(help="Questions judged at once.")] = 4,
    context: Annotated[Path | None, typer.Option("--context", help="The context folder given to the agent "
                                                                   "(default: the workspace's context/, if any).")]
    = None,
    test_suite: Annotated[bool, typer.Option("--test-suite", help="Also judge on each question's distilled test "
                                             "suite: small databases fuzzed from the warehouse (DuckDB) that tell "
                                             "the gold from its near misses (built once, kept in the "
                                             "workspace).")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The instant CURRENT_DATE and now() mean in gold "
                                              "and answers (YYYY-MM-DD or ISO 8601; default: when a DuckDB "
                                              "warehouse file was last written, else now).")] = None,
    allow_superuser: Annotated[bool, typer.Option("--allow-superuser", help="Evaluate even when the PostgreSQL "
                                                  "warehouse URL connects as a superuser.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Execute gold and answer read-only, compare the results, and give each question a verdict (exit 1 when
    any question fails). Inside a workspace the run is recorded for ``eval report`` and ``eval compare``."""
    if ctx.invoked_subcommand is not None:
        return
    from answerkey.analytics.agents import agent_from_spec
    from answerkey.analytics.compare import PRESETS
    from answerkey.analytics.evaluation import evaluate
    from answerkey.analytics.golden import load_golden, read_answers
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.analytics.warehouse_check import refuse_superuser
    from answerkey.errors import ParameterError

    if golden is None or warehouse is None:
        raise ParameterError("eval needs --golden FILE and --warehouse URL")
    if (answers is None) == (agent is None):
        raise ParameterError("give --answers FILE or --agent COMMAND (one of them)")
    if preset not in PRESETS:
        raise ParameterError.invalid("--preset", f"one of {', '.join(PRESETS)}", preset)
    refuse_superuser(warehouse, allow_superuser)
    questions = load_golden(golden)
    given = read_answers(answers) if answers is not None else None
    chosen = agent_from_spec(agent) if agent is not None else None
    layer = context_layer(ctx.obj, context)
    with progress_bar("judging", enabled=not as_json) as on_progress:
        run = evaluate(questions, given, open_warehouse(warehouse, timeout, limits_of(ctx.obj)), PRESETS[preset],
                       agent=chosen,
                       context=layer if layer is not None else "",
                       agent_timeout_s=agent_timeout, concurrency=concurrency, on_progress=on_progress,
                       test_suite=test_suite, as_of=as_of_option(as_of),
                       suites=suites_folder(ctx.obj), on_suite_progress=on_progress)
    described = (agent if agent else f"answers:{answers}") + (f" @ {agent_version}" if agent_version else "")
    recorded = _record(ctx.obj, run, described, golden, warehouse,
                       layer.content_hash() if layer is not None and agent else None)
    if as_json:
        print_json(run.to_dict() | {"recorded": recorded})
    else:
        summary = run.summary()
        table = Table("question", "verdict", "why")
        for result in run.results:
            if result.verdict != "pass":
                table.add_row(result.id, result.verdict, result.reason)
        if table.row_count:
            console.print(table)
        for gap in summary["context_gaps"]:
            console.print(f"context gap behind {gap['failures']} failure(s): {gap['fix']}")
        console.print(f"run {run.run_id}: {summary['passed']}/{summary['questions']} passed "
                      + ", ".join(f"{k} {v}" for k, v in summary["verdicts"].items())
                      + f"; clock frozen at {summary['as_of']}"
                      + (f", test suite {summary['test_suite']}" if summary["test_suite"] else "")
                      + ("" if recorded else " (not recorded: no workspace here)"))
    if any(r.verdict != "pass" for r in run.results):
        raise typer.Exit(1)


def _record(state: State, run: object, agent: str, golden: Path, warehouse: str, context_hash: str | None) -> bool:
    """Record the run in the workspace at or above the current folder; False when there is none."""
    from answerkey.analytics.evaluation import EvalRun
    from answerkey.analytics.runs import save_run
    from answerkey.errors import WorkspaceError

    assert isinstance(run, EvalRun)
    try:
        workspace = state.open()
    except WorkspaceError:
        return False
    save_run(workspace, run, agent=agent, golden_file=golden, warehouse=warehouse, context_hash=context_hash)
    return True


@eval_app.command("list")
def list_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every recorded run, oldest first."""
    from answerkey.analytics.runs import list_runs

    state: State = ctx.obj
    runs = list_runs(state.open())
    if as_json:
        print_json(runs.to_dict(orient="records"))
        return
    table = Table("run", "agent", "passed", "accuracy", "golden set")
    for row in runs.to_dict(orient="records"):
        table.add_row(row["run_id"], row["agent"], f"{row['passed']}/{row['questions']}",
                      f"{row['accuracy']:.1%}", f"{row['golden_file']} ({row['golden_hash'][:8]})")
    console.print(table)


@eval_app.command("report")
def report_command(
    ctx: typer.Context, run_id: Annotated[str, typer.Argument(help="The run.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per question: verdict, why, the answer's SQL."""
    from answerkey.analytics.runs import load_run

    state: State = ctx.obj
    run, results = load_run(state.open(), run_id)
    if as_json:
        print_json({"run": run, "results": results.to_dict(orient="records")})
        return
    console.print(f"run {run_id}: {run['passed']}/{run['questions']} passed; agent {run['agent']}; golden set "
                  f"{run['golden_file']} ({run['golden_hash'][:8]})")
    table = Table("question", "verdict", "why", "row F1", "what the SQL does differently")
    for row in results.to_dict(orient="records"):
        differences = "; ".join(f"{d['what']}: gold {', '.join(d['gold'])} / answer {', '.join(d['answer'])}"
                                for d in row["differences"])
        table.add_row(row["question_id"], row["verdict"], row["reason"], f"{row['row_f1']:.2f}", differences)
    console.print(table)


@eval_app.command("compare")
def compare_command(
    ctx: typer.Context, before: Annotated[str, typer.Argument(help="The earlier run.")],
    after: Annotated[str, typer.Argument(help="The later run.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What got better or worse between two runs (agent or context versions)."""
    from answerkey.analytics.runs import compare_runs

    state: State = ctx.obj
    summary, changes = compare_runs(state.open(), before, after)
    if as_json:
        print_json({"summary": summary, "changes": [c.__dict__ | {"direction": c.direction} for c in changes]})
        return
    if not summary["same_golden_set"]:
        err_console.print("note: the two runs used different versions of the golden set")
    console.print(f"{before}: {summary['before']['passed']}/{summary['before']['questions']} passed; {after}: "
                  f"{summary['after']['passed']}/{summary['after']['questions']} passed; fixed {summary['fixed']}, "
                  f"broken {summary['broken']}")
    table = Table("question", "before", "after", "change", "why now")
    for change in changes:
        table.add_row(change.question_id, change.before or "-", change.after or "-", change.direction, change.reason)
    if table.row_count:
        console.print(table)
