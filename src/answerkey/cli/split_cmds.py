"""``split create|show|check|seal`` and ``ledger record|show``: splits of a release and the test-set ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_findings, print_json
from answerkey.errors import ParameterError

__all__ = ["register"]

split_app = typer.Typer(help="Split a release into train, validation and test; check and seal it.",
                        no_args_is_help=True)
ledger_app = typer.Typer(help="Every evaluation against a sealed test set, and how often it was looked at.",
                         no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ReleaseArgument = Annotated[str, typer.Argument(help="The release, e.g. 2026-11.")]


def register(app: typer.Typer) -> None:
    """Add the split and ledger commands to ``app``."""
    app.add_typer(split_app, name="split")
    app.add_typer(ledger_app, name="ledger")


def _print_split(summary: dict[str, object]) -> None:
    counts = summary["counts"]
    assert isinstance(counts, dict)
    shares = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    console.print(f"release {summary['release']} split v{summary['version']} ({summary['strategy']}, "
                  f"seed {summary['seed']}): {shares}")
    seal = summary["seal"]
    if isinstance(seal, dict):
        console.print(f"test split sealed by {seal['sealed_by']} on {str(seal['sealed_at'])[:19]}: {seal['test_hash']}")
    else:
        console.print(f"not sealed; freeze the test split with: answerkey split seal {summary['release']}")


@split_app.command("create")
def create(
    ctx: typer.Context,
    release: ReleaseArgument,
    by: Annotated[str, typer.Option("--by", help="stratified, random, group:COLUMN or time:COLUMN.")] = "stratified",
    test: Annotated[float, typer.Option("--test", help="Share of items in test.")] = 0.2,
    val: Annotated[float, typer.Option("--val", help="Share of items in validation.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same split.")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Assign the release's items to train, validation and test (a new version while unsealed)."""
    from answerkey.project.splits import create_split
    from answerkey.splits.assign import parse_strategy

    state: State = ctx.obj
    split = create_split(state.open(), release, parse_strategy(by, test, val, seed))
    if as_json:
        print_json(split.summary())
        return
    _print_split(split.summary())


@split_app.command("show")
def show(ctx: typer.Context, release: ReleaseArgument, as_json: JsonOption = False) -> None:
    """The release's split: strategy, seed, sizes and seal."""
    from answerkey.project.splits import get_split

    state: State = ctx.obj
    split = get_split(state.open(), release)
    if as_json:
        print_json(split.summary())
        return
    _print_split(split.summary())


@split_app.command("seal")
def seal(ctx: typer.Context, release: ReleaseArgument, as_json: JsonOption = False) -> None:
    """Freeze the test split: its hash is recorded with the release and later changes are refused."""
    from answerkey.project.splits import seal_split

    state: State = ctx.obj
    split = seal_split(state.open(), release)
    if as_json:
        print_json(split.summary())
        return
    _print_split(split.summary())


@split_app.command("check")
def check(
    ctx: typer.Context,
    release: ReleaseArgument,
    threshold: Annotated[float, typer.Option(help="Jaccard similarity from which two texts are near duplicates.")]
    = 0.8,
    text: Annotated[list[str] | None, typer.Option("--text", help="Text column(s) (default: detected).")] = None,
    numeric: Annotated[list[str] | None, typer.Option("--numeric", help="Numeric column(s) (default: detected).")]
    = None,
    limit: Annotated[int, typer.Option(help="Show at most this many findings per tier.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Contamination across splits: exact and near duplicates, shared groups, temporal overlap, conflicting labels.

    The findings are recorded in the workspace (the report shows the latest check). Exits 1 when a finding
    is an error.
    """
    from answerkey.project.split_check import check_split

    if not 0.0 < threshold <= 1.0:
        raise ParameterError.invalid("--threshold", "a Jaccard similarity in (0, 1]", threshold)
    state: State = ctx.obj
    workspace = state.open()
    result = check_split(workspace, release, threshold=threshold, text_columns=text, numeric_columns=numeric)
    result.record(workspace)
    findings = result.findings(limit_per_tier=None if as_json else limit)
    if as_json:
        print_json(result.to_dict())
    else:
        table = Table("tier", "pairs", title=f"contamination, release {release} split v{result.version}")
        for tier, n in result.counts.items():
            table.add_row(tier, f"{n:,}")
        console.print(table)
        console.print(f"columns: text {result.columns['text'] or '-'}, numeric {result.columns['numeric'] or '-'}, "
                      f"group {result.columns['group'] or '-'}, time {result.columns['time'] or '-'}")
        print_findings(findings)
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)


@ledger_app.command("record")
def record(
    ctx: typer.Context,
    release: Annotated[str, typer.Option("--release", help="The release whose sealed test set was used.")],
    model: Annotated[str, typer.Option("--model", help="The model evaluated, e.g. churn-v3.")],
    metric: Annotated[list[str], typer.Option("--metric", help="NAME=VALUE, e.g. f1=0.81; repeat for more.")],
    purpose: Annotated[str | None, typer.Option(help="Why the test set was looked at.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who evaluated (default: ANSWERKEY_USER or login).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record one evaluation against the sealed test set."""
    from answerkey.project.ledger import record_evaluation

    metrics: dict[str, float] = {}
    for text in metric:
        name, sep, value = text.partition("=")
        try:
            metrics[name.strip()] = float(value)
        except ValueError:
            raise ParameterError.invalid("--metric", "NAME=NUMBER, e.g. f1=0.81", text) from None
        if not sep or not name.strip():
            raise ParameterError.invalid("--metric", "NAME=NUMBER, e.g. f1=0.81", text)
    state: State = ctx.obj
    entry = record_evaluation(state.open(), release, model, metrics, purpose, by)
    if as_json:
        print_json(entry)
        return
    console.print(f"recorded look #{entry['entry_id']} at release {release}'s test set: {model} "
                  + ", ".join(f"{k}={v:g}" for k, v in metrics.items()))


@ledger_app.command("show")
def show_ledger(
    ctx: typer.Context,
    release: ReleaseArgument,
    warn_after: Annotated[int | None, typer.Option(help="Warn past this many looks (default: answerkey.toml).")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """How often the test set has been looked at, by whom, for which models."""
    from answerkey.project.ledger import ledger_report

    state: State = ctx.obj
    report = ledger_report(state.open(), release, warn_after)
    if as_json:
        print_json(report.to_dict())
        return
    summary = report.summary
    console.print(f"release {release}: the test set was looked at {summary['looks']} times "
                  f"(warning past {summary['warn_after']})")
    table = Table("#", "when", "who", "model", "metrics", "purpose")
    for row in report.entries.to_dict("records"):
        metrics = ", ".join(f"{k}={v:g}" for k, v in row["metrics"].items())
        table.add_row(str(row["entry_id"]), str(row["recorded_at"])[:19], str(row["recorded_by"]), str(row["model"]),
                      metrics, str(row["purpose"] or ""))
    console.print(table)
    print_findings(report.findings)
