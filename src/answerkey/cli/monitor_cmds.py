"""``answerkey monitor`` (lag, realized performance, drift against a reference) and ``answerkey drift``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from answerkey.cli.common import console, print_findings, print_json

__all__ = ["register"]

EngineOption = Annotated[str, typer.Option(
    "--engine", help="duckdb (default, reads files in place), spark (a local session), or an Ibis URL.")]


def register(app: typer.Typer) -> None:
    """Add the monitor and drift commands to ``app``."""
    app.command("monitor")(monitor_command)
    app.command("drift")(drift_command)


def _class_scores(predictions: str, con: Any, prefix: str | None, pairs: list[str] | None) -> dict[Any, str]:
    """Class label -> probability column, from ``--class-score LABEL=COLUMN`` or every column with ``prefix``."""
    from answerkey.errors import ParameterError
    from answerkey.monitoring.engines import as_table

    mapping: dict[Any, str] = {}
    for pair in pairs or []:
        label, sep, column = pair.partition("=")
        if not sep or not label or not column:
            raise ParameterError.invalid("--class-score", "LABEL=COLUMN", pair)
        mapping[label] = column
    if prefix:
        columns = [c for c in as_table(predictions, con, what="predictions").columns if c.startswith(prefix)]
        if not columns:
            raise ParameterError.invalid("--class-scores-prefix", f"the prefix of probability columns in {predictions}",
                                         prefix)
        mapping |= {c[len(prefix):]: c for c in columns}
    return mapping


def monitor_command(
    ctx: typer.Context,
    predictions_arg: Annotated[str | None, typer.Argument(
        metavar="PREDICTIONS", help="Prediction log: Parquet/CSV path (or glob).")] = None,
    outcomes_arg: Annotated[str | None, typer.Argument(
        metavar="[OUTCOMES]", help="Outcomes: prediction_id, outcome, observed_at.")] = None,
    predictions_opt: Annotated[str | None, typer.Option("--predictions", help="The prediction log (as PREDICTIONS).")]
    = None,
    outcomes_opt: Annotated[str | None, typer.Option("--outcomes", help="The outcomes (as OUTCOMES).")] = None,
    engine: EngineOption = "duckdb",
    window: Annotated[str, typer.Option(help="day, week, month, or a number of predictions per chunk.")] = "week",
    by: Annotated[list[str] | None, typer.Option("--by", help="Segment column(s).")] = None,
    reference: Annotated[str | None, typer.Option(
        help="Training ground truth with the model's predictions and outcomes: drift, calibration, alert bands.")]
    = None,
    reference_until: Annotated[str | None, typer.Option(
        "--reference-until", help="No training data at hand: the log's predictions before this date are the "
        "reference.")] = None,
    feature: Annotated[list[str] | None, typer.Option("--feature", help="Columns to watch for drift (default: all).")]
    = None,
    model: Annotated[str | None, typer.Option(help="Only this model's predictions.")] = None,
    model_version: Annotated[str | None, typer.Option("--model-version", help="Only this version.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The time the log is read at (default: now).")]
    = None,
    min_labels: Annotated[int, typer.Option(help="Windows with fewer outcomes report no metric.")] = 30,
    column: Annotated[list[str] | None, typer.Option(
        "--column", help="FIELD=COLUMN: where a field is (prediction_id, predicted_at, prediction, score, outcome, "
        "observed_at, model, model_version); repeatable.")] = None,
    class_score: Annotated[list[str] | None, typer.Option(
        "--class-score", help="LABEL=COLUMN: the probability column of a class; repeatable.")] = None,
    class_scores_prefix: Annotated[str | None, typer.Option(
        "--class-scores-prefix", help="Every column starting with this holds the probability of the class named "
        "by the rest (p_ for p_finance, ...).")] = None,
    multivariate: Annotated[bool, typer.Option(
        "--multivariate/--no-multivariate", help="A domain classifier on the latest window.")] = True,
    record: Annotated[bool, typer.Option(
        "--record", help="Store the run in the workspace (the report shows it); adds its stale ground truth to "
        "the signal.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Label lag, realized and estimated performance, drift, segment mismatch, and the retraining signal."""
    from answerkey.errors import ParameterError
    from answerkey.monitoring import ColumnMap, connect, load_prediction_log
    from answerkey.monitoring.job import reference_period, run_monitor

    predictions = predictions_opt or predictions_arg
    outcomes = outcomes_opt or outcomes_arg
    if predictions is None:
        raise ParameterError.invalid("PREDICTIONS", "a prediction log (argument or --predictions)", None)
    if reference and reference_until:
        raise ParameterError("--reference and --reference-until: give one of them")
    con = connect(engine)
    fields = _column_fields(column)
    columns = ColumnMap(**fields, class_scores=_class_scores(predictions, con, class_scores_prefix, class_score))
    log = load_prediction_log(predictions, outcomes, columns=columns, engine=con, model=model,
                              model_version=model_version)
    ref = None
    if reference is not None:
        ref = load_prediction_log(reference, columns=columns, engine=con, model=model)
    elif reference_until is not None:
        ref, log = reference_period(log, reference_until)
    chunk: str | int = int(window) if window.isdigit() else window
    workspace = ctx.obj.open() if record else None
    ground_truth = []
    if workspace is not None:
        from answerkey.project.staleness import workspace_staleness

        ground_truth = workspace_staleness(workspace, as_of).findings
    run = run_monitor(log, reference=ref, window=chunk, by=list(by) if by else None,
                      features=list(feature) if feature else None, as_of=as_of, min_labels=min_labels,
                      multivariate=multivariate, ground_truth=ground_truth)
    if workspace is not None:
        from answerkey.project.monitor_log import record_monitor_run

        record_monitor_run(workspace, run)
    if as_json:
        print_json(run.to_dict())
        return
    _print_run(run)


def _column_fields(pairs: list[str] | None) -> dict[str, Any]:
    from answerkey.errors import ParameterError

    allowed = ("prediction_id", "model", "model_version", "predicted_at", "prediction", "score", "outcome",
               "observed_at")
    fields: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or name not in allowed:
            raise ParameterError.invalid("--column", f"FIELD=COLUMN with FIELD one of {', '.join(allowed)}", pair)
        fields[name] = value or None
    return fields


def _print_run(run: Any) -> None:
    import pandas as pd

    lag = run.lag

    def shown(value: Any) -> str:
        return f"beyond the {lag.followed} followed" if pd.isna(value) and lag.labelled else str(value)

    console.print(f"[bold]{run.model}[/] as of {run.as_of:%Y-%m-%d %H:%M}: {lag.predictions:,} predictions, "
                  f"{lag.labelled:,} with an outcome ({lag.coverage:.0%}); lag (Kaplan-Meier, waiting outcomes "
                  f"censored) median {shown(lag.median)}, p90 {shown(lag.p90)} (95% CI {shown(lag.p90_low)} to "
                  f"{shown(lag.p90_high)}), p99 {shown(lag.p99)}")
    main = run.realized[run.realized["metric"].isin(["accuracy", "f1_macro", "roc_auc", "mae"])]
    estimated = {}
    if run.estimated is not None:
        estimated = {(pd.Timestamp(r["window_start"]), r["realized_metric"]): r
                     for r in run.estimated.to_dict("records")}
    table = Table("window", "metric", "realized", "interval", "n", "estimated", "band", "note")
    for row in main.to_dict("records"):
        value = "-" if row["value"] != row["value"] else f"{row['value']:.3f}"
        interval = "" if row["lower"] != row["lower"] else f"[{row['lower']:.3f}, {row['upper']:.3f}]"
        guess = estimated.get((pd.Timestamp(row["window_start"]), row["metric"]))
        est = "" if guess is None else f"{guess['estimated']:.3f}" + (" [red]![/]" if guess["alert"] else "")
        band = "" if guess is None else f"[{guess['lower_threshold']:.3f}, {guess['upper_threshold']:.3f}]"
        table.add_row(str(row["window_start"])[:10], str(row["metric"]), value, interval, f"{row['n']:,}", est, band,
                      str(row.get("note") or ""))
    console.print(table)
    for note in run.notes:
        console.print(f"[dim]{note}[/]")
    print_findings(run.findings)
    if run.signal is not None:
        colour = {"retrain": "red", "refresh_ground_truth": "yellow", "wait_for_labels": "cyan"}.get(
            run.signal.decision, "green")
        console.print(f"[bold {colour}]signal: {run.signal.decision.replace('_', ' ')}[/] - {run.signal.reason}")


def drift_command(
    reference: Annotated[Path, typer.Argument(help="Reference data (training ground truth or a past period).")],
    current: Annotated[Path, typer.Argument(help="Current data.")],
    by: Annotated[str | None, typer.Option("--by", help="Compare within each value of this column.")] = None,
    column: Annotated[list[str] | None, typer.Option("--column", help="Only these columns.")] = None,
    engine: EngineOption = "duckdb",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per column: drift statistic, effect size and p-value; drifted only when the shift is material."""
    from answerkey.monitoring.drift import column_drift
    from answerkey.monitoring.engines import as_table, connect

    con = connect(engine)
    result = column_drift(as_table(str(reference), con, what="reference"), as_table(str(current), con, what="current"),
                          by=by, columns=list(column) if column else None)
    if as_json:
        from answerkey.jsonable import records

        print_json({"columns": records(result)})
        return
    table = Table(*([by] if by else []), "column", "method", "statistic", "effect size", "p-value", "drifted")
    for row in result.to_dict("records"):
        table.add_row(*([str(row.get("segment", ""))] if by else []), str(row["column"]), str(row["method"]),
                      f"{row['statistic']:.4g}", f"{row['effect_size']:.4g}",
                      "-" if row["p_value"] is None or row["p_value"] != row["p_value"] else f"{row['p_value']:.3g}",
                      "yes" if row["drifted"] else "")
    console.print(table)
