"""``answerkey golden check``: execute every gold answer and flag the ones that cannot be trusted; ``golden suite
build|show``: the distilled test suites that judge answers beyond the real data."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from answerkey.cli.common import (
    State,
    as_of_option,
    console,
    context_layer,
    limits_of,
    print_findings,
    print_json,
    progress_bar,
    suites_folder,
)

__all__ = ["register"]

golden_app = typer.Typer(help="The golden question set.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the golden commands to ``app``."""
    app.add_typer(golden_app, name="golden")


@golden_app.command("check")
def check_command(
    ctx: typer.Context,
    golden: Annotated[Path, typer.Option(help="The golden set (JSONL or YAML).")],
    warehouse: Annotated[str, typer.Option(help="duckdb:///path.duckdb, a .duckdb path or a SQLAlchemy URL.")],
    timeout: Annotated[float, typer.Option(help="Seconds a query may run.")] = 30.0,
    allow_superuser: Annotated[bool, typer.Option("--allow-superuser", help="Check even when the PostgreSQL "
                                                  "warehouse URL connects as a superuser.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    context: Annotated[Path | None, typer.Option("--context", help="The context folder whose metrics "
                                                 "expected_metric golds name (default: the workspace's).")] = None,
) -> None:
    """Gold that errors, returns nothing, changes between runs, cuts ties with LIMIT, leaves a required
    order undecided, or whose alternatives disagree (exit 1 when any finding is an error)."""
    from answerkey.analytics.golden import load_golden
    from answerkey.analytics.golden_check import check_golden
    from answerkey.analytics.golden_metrics import resolve_metric_golds
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.analytics.warehouse_check import refuse_superuser

    refuse_superuser(warehouse, allow_superuser)
    opened = open_warehouse(warehouse, timeout)
    questions = load_golden(golden)
    if any(q.expected_metric for q in questions):
        questions = resolve_metric_golds(questions, context_layer(ctx.obj, context), opened.dialect)
    with progress_bar("checking gold", enabled=not as_json) as on_progress:
        findings = check_golden(questions, opened, on_progress)
    if as_json:
        print_json([f.to_dict() for f in findings])
    elif findings:
        print_findings(findings)
    else:
        console.print(f"all {len(questions)} gold answers check out")
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)


suite_app = typer.Typer(help="Distilled test suites: the small databases that tell each gold from its near "
                             "misses.", no_args_is_help=True)
golden_app.add_typer(suite_app, name="suite")


def _suite_inputs(state: State, golden: Path, warehouse: str, timeout: float, as_of: str | None) -> tuple[
        Any, Any, Any, Path | None]:
    """The questions, the warehouse, the frozen instant and the workspace's suite folder (None outside one)."""
    from answerkey.analytics.evaluation import warehouse_instant
    from answerkey.analytics.golden import load_golden
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.errors import ParameterError

    questions = load_golden(golden)
    opened = open_warehouse(warehouse, timeout, limits_of(state))
    if opened.dialect != "duckdb":
        raise ParameterError(f"--warehouse {warehouse}: test suites are fuzzed from a DuckDB file")
    instant = as_of_option(as_of) or warehouse_instant(opened)
    return questions, opened, instant, suites_folder(state)


def _question_rows(suite: Any, only: str | None) -> list[Any]:
    from answerkey.errors import NotFoundError

    rows = [q for q in suite.questions.values() if only is None or q.id == only]
    if only is not None and not rows:
        raise NotFoundError(f"no question {only!r} in the suite")
    return rows


def _print_suite(suite: Any, only: str | None, survivors: bool) -> None:
    table = Table("question", "databases", "mutants", "killed by real data", "killed by suite", "kill rate",
                  "survivors")
    for question in _question_rows(suite, only):
        rate = question.kill_rate
        table.add_row(question.id, ", ".join(Path(d).stem.removeprefix("candidate-") for d in question.databases)
                      or "-", str(question.mutants), str(question.killed_by_real), str(question.killed_by_suite),
                      "-" if rate is None else f"{rate:.0%}", str(len(question.survivors)))
    console.print(table)
    for question in _question_rows(suite, only):
        if question.note:
            console.print(f"{question.id}: {question.note}")
    if survivors:
        listed = Table("question", "kind", "mutant no database kills (equivalent, or a gap)")
        for question in _question_rows(suite, only):
            for survivor in question.survivors:
                listed.add_row(question.id, survivor["kind"], survivor["description"])
        if listed.row_count:
            console.print(listed)
    summary = suite.summary()
    rate = summary["kill_rate"]
    console.print(f"suite {summary['key']} (clock frozen at {summary['as_of']}): {summary['questions']} questions, "
                  f"{summary['databases']} databases, {summary['mutants']} mutants, "
                  f"{summary['killed_by_real_data']} killed by the real data, {summary['killed_by_suite']} by the "
                  f"suite" + ("" if rate is None else f" ({rate:.1%} in all)"))


@suite_app.command("build")
def suite_build_command(
    ctx: typer.Context,
    golden: Annotated[Path, typer.Option(help="The golden set (JSONL or YAML).")],
    warehouse: Annotated[str, typer.Option(help="duckdb:///path.duckdb or a .duckdb path.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="The instant CURRENT_DATE and now() mean "
                                              "(YYYY-MM-DD or ISO 8601; default: when the warehouse file was "
                                              "last written).")] = None,
    preset: Annotated[str, typer.Option(help="The comparison the suite must tell mutants apart with.")] = "default",
    timeout: Annotated[float, typer.Option(help="Seconds the gold or one of its mutants may run on a database "
                                           "(a mutant that runs longer counts as told apart).")] = 5.0,
    survivors: Annotated[bool, typer.Option("--survivors", help="List the mutants no database kills.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Build (or reuse) each question's distilled test suite: the gold's mutants, the fuzzed databases that
    kill them, and the mutants none kills. Kept in the workspace for ``eval --test-suite``."""
    from answerkey.analytics.compare import PRESETS
    from answerkey.analytics.suite import load_or_build
    from answerkey.errors import ParameterError

    if preset not in PRESETS:
        raise ParameterError.invalid("--preset", f"one of {', '.join(PRESETS)}", preset)
    questions, opened, instant, folder = _suite_inputs(ctx.obj, golden, warehouse, timeout, as_of)
    with progress_bar("building test suites", enabled=not as_json) as on_progress:
        suite = load_or_build(questions, opened.duckdb_file(), opened.fingerprint, folder, instant, PRESETS[preset],
                              limits=opened.limits, timeout_s=timeout, on_progress=on_progress)
    if as_json:
        print_json({"summary": suite.summary(), "folder": str(suite.folder) if folder else None,
                    "questions": [asdict(q) for q in suite.questions.values()]})
        return
    _print_suite(suite, None, survivors)
    if folder is None:
        console.print("(not kept: no workspace here, so eval --test-suite will build it again)")


@suite_app.command("show")
def suite_show_command(
    ctx: typer.Context,
    golden: Annotated[Path, typer.Option(help="The golden set (JSONL or YAML).")],
    warehouse: Annotated[str, typer.Option(help="duckdb:///path.duckdb or a .duckdb path.")],
    question: Annotated[str | None, typer.Option(help="Only this question.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The instant the suite was built for.")] = None,
    preset: Annotated[str, typer.Option(help="The comparison the suite was built with.")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each question's suite (its databases and mutant-kill rate) and the mutants no database kills."""
    from answerkey.analytics.compare import PRESETS
    from answerkey.analytics.suite import Suite, suite_key
    from answerkey.errors import NotFoundError, ParameterError

    if preset not in PRESETS:
        raise ParameterError.invalid("--preset", f"one of {', '.join(PRESETS)}", preset)
    questions, opened, instant, folder = _suite_inputs(ctx.obj, golden, warehouse, 30.0, as_of)
    key = suite_key(questions, opened.fingerprint, instant, PRESETS[preset])
    if folder is None or not (folder / key / "suite.json").is_file():
        raise NotFoundError(f"no suite built for {golden} on {warehouse} as of {instant.isoformat()}; run "
                            "`answerkey golden suite build` in this workspace first")
    suite = Suite.load(folder / key)
    if as_json:
        print_json({"summary": suite.summary(), "questions": [asdict(q) for q in _question_rows(suite, question)]})
        return
    _print_suite(suite, question, survivors=True)
