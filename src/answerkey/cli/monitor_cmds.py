"""``answerkey monitor`` (lag, realized performance, drift against a reference) and ``answerkey drift``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from answerkey.cli.common import console, print_json

__all__ = ["register"]

EngineOption = Annotated[str, typer.Option(
    "--engine", help="duckdb (default, reads files in place), spark (a local session), or an Ibis URL.")]


def register(app: typer.Typer) -> None:
    """Add the monitor and drift commands to ``app``."""
    app.command("monitor")(monitor_command)
    app.command("drift")(drift_command)


def _plain(value: Any) -> Any:
    """JSON-safe: timestamps as text, infinities and NaN as null (JSON has no Infinity), nested too."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value) if hasattr(value, "isoformat") else value


def _records(frame: Any) -> list[dict[str, Any]]:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [{k: _plain(v) for k, v in row.items()} for row in cleaned.to_dict("records")]


def monitor_command(
    predictions: Annotated[str, typer.Argument(help="Prediction log: Parquet/CSV path (or glob).")],
    outcomes: Annotated[str | None, typer.Argument(help="Outcomes: prediction_id, outcome, observed_at.")] = None,
    engine: EngineOption = "duckdb",
    window: Annotated[str, typer.Option(help="day, week, month, or a number of predictions per chunk.")] = "week",
    by: Annotated[list[str] | None, typer.Option("--by", help="Segment column(s).")] = None,
    reference: Annotated[str | None, typer.Option(help="Reference data (training ground truth) for drift.")] = None,
    feature: Annotated[list[str] | None, typer.Option("--feature", help="Columns to watch for drift.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The time the log is read at (default: now).")]
    = None,
    min_labels: Annotated[int, typer.Option(help="Windows with fewer outcomes report no metric.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Label lag and coverage, realized performance by window (and segment), and drift against a reference."""
    from answerkey.monitoring import connect, label_lag, load_prediction_log, realized_performance

    con = connect(engine)
    log = load_prediction_log(predictions, outcomes, engine=con)
    chunk: str | int = int(window) if window.isdigit() else window
    segments = list(by) if by else None
    lag = label_lag(log, window=chunk, by=segments, as_of=as_of)
    realized = realized_performance(log, window=chunk, by=segments, min_labels=min_labels, as_of=as_of)
    drift = None
    if reference is not None:
        from answerkey.monitoring.drift import window_drift
        from answerkey.monitoring.engines import as_table

        current = as_table(predictions, con, what="predictions")
        drift = window_drift(as_table(reference, con, what="reference"), current, time_column="predicted_at",
                             window=window if isinstance(chunk, str) else "week",
                             columns=list(feature) if feature else None)
    if as_json:
        print_json({"lag": lag.to_dict(), "realized": _records(realized),
                    "drift": None if drift is None else _records(drift)})
        return
    console.print(f"{lag.predictions:,} predictions, {lag.labelled:,} with an outcome ({lag.coverage:.0%}); "
                  f"lag median {lag.median}, p90 {lag.p90}, p99 {lag.p99}")
    main = realized[realized["metric"].isin(["accuracy", "f1_macro", "roc_auc", "mae"])]
    table = Table("window", *(segments or []), "metric", "value", "interval", "n", "note")
    for row in main.to_dict("records"):
        value = "-" if row["value"] != row["value"] else f"{row['value']:.3f}"
        interval = "" if row["lower"] != row["lower"] else f"[{row['lower']:.3f}, {row['upper']:.3f}]"
        table.add_row(str(row.get("window_start", row.get("chunk", "")))[:10], *(str(row[s]) for s in segments or []),
                      str(row["metric"]), value, interval, f"{row['n']:,}", str(row.get("note") or ""))
    console.print(table)
    if drift is not None:
        drifted = drift[drift["drifted"]] if "drifted" in drift else drift
        console.print(f"drift: {len(drifted):,} column-windows drifted of {len(drift):,}")


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
        print_json({"columns": _records(result)})
        return
    table = Table(*([by] if by else []), "column", "method", "statistic", "effect size", "p-value", "drifted")
    for row in result.to_dict("records"):
        table.add_row(*([str(row.get("segment", ""))] if by else []), str(row["column"]), str(row["method"]),
                      f"{row['statistic']:.4g}", f"{row['effect_size']:.4g}",
                      "-" if row["p_value"] is None or row["p_value"] != row["p_value"] else f"{row['p_value']:.3g}",
                      "yes" if row["drifted"] else "")
    console.print(table)
