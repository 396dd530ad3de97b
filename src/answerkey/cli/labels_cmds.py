"""``answerkey labels``: ground truth that no annotator typed: behavioural labels defined as code, derived in
the engine and written as annotations; their versions and what a new version flips."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_json

__all__ = ["register"]

labels_app = typer.Typer(help="Derived labels: behavioural definitions as code, their versions and derivations.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``labels`` command group to ``app``."""
    app.add_typer(labels_app, name="labels")


@labels_app.command("define")
def define_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A behavioural definition (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Register a definition: a new version when what it labels changed, else the version it already is."""
    from answerkey.labels import load_definition
    from answerkey.project.behavioral import register_definition

    state: State = ctx.obj
    registered = register_definition(state.open(), load_definition(path))
    if as_json:
        print_json(registered.to_dict())
        return
    verb = "registered as" if registered.created else "unchanged: already"
    console.print(f"{registered.name} {verb} version {registered.version} (sha256 {registered.content_hash[:16]})")
    if registered.latest != registered.version:
        console.print(f"note: version {registered.latest} is the latest; derive uses it unless given "
                      f"--version {registered.version}")


@labels_app.command("derive")
def derive_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The definition's name.")],
    engine: Annotated[str, typer.Option("--engine", help="Where the tables are: duckdb (files), a DuckDB file, "
                                                         "duckdb:///path, spark or an Ibis URL.")] = "duckdb",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Events seen up to this time (default: now).")] = None,
    version: Annotated[int | None, typer.Option("--version", help="Derive this version (default: latest).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Derive a definition's labels and write the mature ones that changed as annotations (source behavioral)."""
    import pandas as pd

    from answerkey.errors import ParameterError
    from answerkey.monitoring.engines import connect
    from answerkey.project.behavioral import derive_labels

    state: State = ctx.obj
    stamp = None
    if as_of is not None:
        try:
            stamp = pd.Timestamp(as_of).to_pydatetime()
        except (TypeError, ValueError):
            raise ParameterError.invalid("--as-of", "a date or ISO 8601 time", as_of) from None
    done = derive_labels(state.open(), name, connect(engine), as_of=stamp, version=version, engine_name=engine,
                         dry_run=dry_run)
    if as_json:
        print_json(done.to_dict())
        return
    counts = done.counts
    console.print(f"{name} v{done.version} as of {done.as_of:%Y-%m-%d %H:%M}: {counts['positive']:,} positive, "
                  f"{counts['negative']:,} negative, {counts['immature']:,} immature (window still open: no label), "
                  f"{counts['not_items']:,} not items of the workspace")
    console.print(f"{'would write' if dry_run else 'wrote'} {counts['written']:,} annotations "
                  "(new or changed labels only)")
    if counts.get("withdrawn"):
        console.print(f"{'would withdraw' if dry_run else 'withdrew'} {counts['withdrawn']:,} labels this "
                      "definition gave before and no longer gives (immature again, or dropped); the store keeps "
                      "them, consensus no longer counts them")


@labels_app.command("diff")
def diff_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The definition's name.")],
    old: Annotated[int | None, typer.Option("--from", help="The older version (default: the one before).")] = None,
    new: Annotated[int | None, typer.Option("--to", help="The newer version (default: the latest derived).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How the labels of two derived versions differ, by segment: flips each way, matured, became immature."""
    from answerkey.project.behavioral import flip_report

    state: State = ctx.obj
    report = flip_report(state.open(), name, old, new)
    if as_json:
        rows = report.assign(old_as_of=report["old_as_of"].astype(str), new_as_of=report["new_as_of"].astype(str))
        print_json({"name": name, "segments": rows.to_dict("records")})
        return
    first = report.iloc[0]
    if first["old_as_of"] != first["new_as_of"]:
        console.print("[yellow]note:[/] the two derivations have different as-of times: time passing is mixed "
                      "with the change of definition; derive both at one --as-of to isolate it")
    table = Table("segment", "items", "unchanged", "positive→negative", "negative→positive", "matured",
                  "became immature", title=f"{name}: v{first['old_version']} (as of {first['old_as_of']:%Y-%m-%d}) "
                                             f"→ v{first['new_version']} (as of {first['new_as_of']:%Y-%m-%d})")
    for row in report.to_dict("records"):
        table.add_row(str(row["segment"]), f"{row['items']:,}", f"{row['unchanged']:,}",
                      f"{row['positive_to_negative']:,}", f"{row['negative_to_positive']:,}", f"{row['matured']:,}",
                      f"{row['became_immature']:,}")
    console.print(table)


@labels_app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Registered definitions and their versions."""
    from answerkey.project.behavioral import definition_versions

    state: State = ctx.obj
    versions = definition_versions(state.open())
    if as_json:
        print_json([{**row, "registered_at": str(row["registered_at"])} for row in versions.to_dict("records")])
        return
    table = Table("name", "version", "kind", "sha256", "window", "registered")
    for row in versions.to_dict("records"):
        table.add_row(str(row["name"]), str(row["version"]), str(row["kind"]), str(row["content_hash"])[:16],
                      str(row["body"].get("window", "")), f"{row['registered_at']:%Y-%m-%d %H:%M}")
    console.print(table)


@labels_app.command("functions")
def functions_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A Python file of labeling functions (lf_* or @labeling_function; "
                                              "SQL expressions in a dict named SQL). It is run as Python with "
                                              "your rights: run only files you trust.")],
    write: Annotated[bool, typer.Option("--write", help="Append the votes as synthetic annotations.")] = False,
    combine: Annotated[str | None, typer.Option("--combine", help="Combine the votes into one label per item "
                                                                  "(majority, dawid-skene, ...).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the combined labels (CSV).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Labeling functions over the workspace's items: coverage, overlap, conflict, and accuracy against the
    adjudicated and expert labels with a 95% interval. The file is executed as Python code, with the rights of
    the user who runs this command (it can read, write and delete whatever you can): run only a file you wrote
    or reviewed, as you would any script."""
    from answerkey.errors import ParameterError
    from answerkey.project.synthetic import run_labeling_functions
    from answerkey.quality.labeling_functions import combine_labeling_functions

    if output is not None and combine is None:
        raise ParameterError.invalid("--output", "given with --combine", str(output))
    state: State = ctx.obj
    run = run_labeling_functions(state.open(), path, write=write)
    if combine is not None:
        combined = combine_labeling_functions(run.votes, combine)
        if output is not None:
            combined.to_csv(output, index=False)
        if not as_json:
            shares = combined["label"].value_counts().head(10)
            console.print(f"combined by {combine}: {len(combined):,} items; "
                          + ", ".join(f"{label} {n:,}" for label, n in shares.items()))
    if as_json:
        print_json(run.to_dict())
        return
    summary = run.summary
    table = Table("function", "labels", "votes", "coverage", "overlap", "conflict", "accuracy (95% CI)", "trusted n",
                  title=f"{summary.n_functions} labeling functions over {summary.n_items:,} items: coverage "
                        f"{summary.coverage:.1%}, overlap {summary.overlap:.1%}, conflict {summary.conflict:.1%}")
    for row in run.analysis.to_dict("records"):
        accuracy = ("—" if not row["n_trusted"] else
                    f"{row['accuracy']:.3f} ({row['accuracy_low']:.3f} to {row['accuracy_high']:.3f})")
        table.add_row(str(row["function"]), ", ".join(map(str, row["polarity"])), f"{row['n_votes']:,}",
                      f"{row['coverage']:.1%}", f"{row['overlap']:.1%}", f"{row['conflict']:.1%}", accuracy,
                      f"{row['n_trusted']:,}")
    console.print(table)
    if write:
        console.print(f"wrote {run.written:,} votes as synthetic annotations (new or changed only)")


@labels_app.command("sources")
def sources_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every source (annotator, expert, rule, behavioural definition, model) against the adjudicated and
    expert labels: accuracy with a 95% interval and its sample, per segment; and how far derived sources'
    labels and coverage are from people's."""
    from answerkey.jsonable import records
    from answerkey.project.sources import workspace_sources

    state: State = ctx.obj
    quality, features = workspace_sources(state.open())
    if as_json:
        print_json({**quality.to_dict(), "features": records(features)})
        return
    table = Table("source", "annotator", "segment", "labelled", "trusted n", "accuracy (95% CI)",
                  title=f"sources against {quality.n_trusted_items:,} trusted items")
    for row in quality.accuracy.to_dict("records"):
        accuracy = ("-" if not row["n_trusted"] else
                    f"{row['accuracy']:.3f} ({row['accuracy_low']:.3f} to {row['accuracy_high']:.3f})")
        table.add_row(row["source"], row["annotator_id"], row["segment"], f"{row['n_labelled']:,}",
                      f"{row['n_trusted']:,}", accuracy)
    console.print(table)
    if len(quality.gaps):
        gaps = Table("source", "annotator", "labelled", "label shares gap (TVD)", "JS", "segment coverage gap (TVD)",
                     title="derived sources against people's labels")
        for row in quality.gaps.to_dict("records"):
            gaps.add_row(row["source"], row["annotator_id"], f"{row['n_labelled']:,}", f"{row['label_tvd']:.3f}",
                         f"{row['label_js']:.3f}", f"{row['segment_tvd']:.3f}")
        console.print(gaps)
    if len(features):
        shifted = Table("source", "annotator", "feature", "method", "effect size", "threshold", "p", "shifted",
                        title="items a derived source labels against the items people label")
        for row in features.to_dict("records"):
            shifted.add_row(row["source"], row["annotator_id"], row["feature"], row["method"],
                            f"{row['effect_size']:.3f}", f"{row['threshold']:.2f}", f"{row['p_value']:.2g}",
                            "yes" if row["drifted"] else "no")
        console.print(shifted)


@labels_app.command("feedback-check")
def feedback_check_command(
    ctx: typer.Context,
    predictions: Annotated[Path, typer.Option("--predictions", help="The model's past predictions (Parquet/CSV): "
                                                                    "item_id, the decision, predicted_at.")],
    prediction: Annotated[str | None, typer.Option(
        "--prediction-column", help="The decision's column (default prediction, else flag).")] = None,
    positive: Annotated[list[str] | None, typer.Option("--positive", help="A decision value that means flagged "
                                                                          "(repeat for several).")] = None,
    deployed_at: Annotated[str | None, typer.Option("--deployed-at", help="Deployment time: label rates before "
                                                                          "and after.")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="A predictions column to check within.")] = None,
    by: Annotated[str, typer.Option("--by", help="Compare sources by kind (source) or by annotator_id.")] = "source",
    record: Annotated[bool, typer.Option("--record", help="Keep the findings for the report.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Are the labels shaped by the model's own decisions? Selective labels, label rates across deployment,
    and sources that agree with the model more than with the trusted labels."""
    from answerkey.cli.common import print_findings
    from answerkey.project.sources import read_predictions, workspace_feedback_check

    state: State = ctx.obj
    report = workspace_feedback_check(state.open(), read_predictions(predictions), prediction=prediction,
                                      positive=positive or None, deployed_at=deployed_at, segment=segment,
                                      source_column=by)
    if record:
        from answerkey.project.findings_log import record_findings

        record_findings(state.open(), report.findings, f"labels feedback-check {predictions.name}")
    if as_json:
        print_json(report.to_dict())
        return
    for note in report.summary.get("notes", []):
        console.print(f"note: {note}")
    if not report.findings:
        console.print(f"no feedback loop found (checks: {', '.join(report.summary.get('checks', []))})")
    print_findings(report.findings)
