"""Report section on ground truth in production: each monitored model's latest recorded run, its retraining
signal, performance over time (realized and estimated), label lag, a drift heat map and segment mismatch."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import pandas as pd

from answerkey.findings import Finding, Severity
from answerkey.project import Workspace
from answerkey.project.monitor_log import latest_monitor_runs
from answerkey.report.charts import heatmap, line_chart
from answerkey.report.sections import register_section, table

__all__ = ["monitoring_section"]

_DECISION = {"retrain": "retrain now", "wait_for_labels": "wait for labels",
             "refresh_ground_truth": "refresh the ground truth first", "no_action": "no action needed"}


def _day(text: Any) -> str:
    return str(text)[:10]


def _duration(text: Any) -> str:
    """An ISO 8601 duration as days (or hours under a day), for reading."""
    if text is None:
        return "n/a"
    hours = pd.Timedelta(text).total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 24 else f"{hours / 24:.1f} days"


def _span(values: Sequence[float | None]) -> tuple[float, float]:
    """A chart's value range: the data's, padded, within [0, 1]."""
    present = [v for v in values if v is not None]
    if not present:
        return 0.0, 1.0
    low, high = min(present), max(present)
    pad = max((high - low) * 0.15, 0.02)
    return max(0.0, round(low - pad, 2)), min(1.0, round(high + pad, 2))


def _performance_chart(run: dict[str, Any], metric: str) -> str:
    realized = {_day(r["window_start"]): r["value"] for r in run["realized"]
                if r["metric"] == metric and r.get("label") is None}
    estimated = {_day(r["window_start"]): r for r in run.get("estimated") or []
                 if r.get("realized_metric") == metric}
    windows = sorted(set(realized) | set(estimated))
    if not windows:
        return ""
    series: dict[str, list[float | None]] = {"realized": [realized.get(w) for w in windows]}
    if estimated:
        series["estimated"] = [estimated[w]["estimated"] if w in estimated else None for w in windows]
        series["band low"] = [estimated[w]["lower_threshold"] if w in estimated else None for w in windows]
        series["band high"] = [estimated[w]["upper_threshold"] if w in estimated else None for w in windows]
    low, high = _span([v for values in series.values() for v in values])
    return line_chart(windows, series, f"{metric} by window: realized (outcomes so far) and estimated "
                      "(from calibrated scores); the reference band", highlight=("realized", "estimated"),
                      low=low, high=high)


def _lag_chart(run: dict[str, Any]) -> str:
    windows = run["lag"]["windows"]
    if not windows:
        return ""
    return line_chart([_day(w["window_start"]) for w in windows], {"label coverage": [w["coverage"] for w in windows]},
                      "share of each window's predictions with an outcome yet", highlight=("label coverage",))


def _drift_heatmap(run: dict[str, Any]) -> str:
    rows = run.get("drift") or []
    if not rows:
        return ""
    columns = list(dict.fromkeys(str(r["column"]) for r in rows))
    windows = sorted({_day(r["window"]) for r in rows})
    cells: dict[tuple[str, str], float | None] = {}
    for r in rows:
        threshold = r.get("threshold") or 0.0
        cells[(str(r["column"]), _day(r["window"]))] = (
            None if r["effect_size"] is None or not threshold else float(r["effect_size"]) / float(threshold))
    values = [[cells.get((c, w)) for w in windows] for c in columns]
    return heatmap(columns, [w[5:] for w in windows], values,
                   "drift by window: effect size / its threshold (1 or more: a material shift)",
                   row_title="column", column_title="window (month-day)", cell=30)


def _findings(findings: list[dict[str, Any]]) -> str:
    shown = [Finding(f["check"], f["what"], f["where"], Severity(f["severity"])) for f in findings]
    order = {"error": 0, "warning": 1, "info": 2}
    shown.sort(key=lambda f: order[f.severity.value])
    return table(["severity", "where", "why and what to do"], [[f.severity.value, f.where, f.what] for f in shown])


def _mismatch(run: dict[str, Any]) -> str:
    rows = run.get("mismatch") or []
    if not rows:
        return ""
    keys = [k for k in rows[0] if k not in ("reference_n", "reference_share", "production_n", "production_share",
                                             "coverage_ratio", "flagged")]
    return "<h4>Segments: training ground truth against production traffic</h4>" + table(
        [*keys, "training share", "production share", "flagged"],
        [[*(str(r[k]) for k in keys), f"{r['reference_share']:.0%}", f"{r['production_share']:.0%}",
          "yes" if r["flagged"] else ""] for r in rows])


def _model(run: dict[str, Any]) -> str:
    lag, signal = run["lag"], run.get("signal") or {}
    decision = _DECISION.get(signal.get("decision", ""), signal.get("decision", ""))
    metric = "accuracy" if any(r["metric"] == "accuracy" for r in run["realized"]) else "mae"
    parts = [f"<h3>{escape(run['model'])}</h3>",
             f"<p><strong>Signal: {escape(decision)}.</strong> {escape(signal.get('reason', ''))}</p>",
             f"<p>As of {_day(run['as_of'])}: {lag['predictions']:,} predictions, {lag['labelled']:,} with an "
             f"outcome ({lag['coverage']:.0%}). Label lag: median {_duration(lag['median'])}, p90 "
             f"{_duration(lag['p90'])}, p99 {_duration(lag['p99'])}. Source: <code>{escape(run['source'])}"
             "</code>.</p>",
             _performance_chart(run, metric), _lag_chart(run), _drift_heatmap(run), _mismatch(run)]
    if run.get("multivariate"):
        multi = run["multivariate"]
        parts.append(f"<p>Multivariate check on the window of {_day(multi['window'])}: a classifier tells it from "
                     f"the reference with AUC {multi['auc']:.3f} ({'drifted' if multi['drifted'] else 'no drift'}"
                     ").</p>")
    parts += [f"<p><em>{escape(note)}</em></p>" for note in run.get("notes") or []]
    if run.get("findings"):
        parts.append(_findings(run["findings"]))
    return "".join(parts)


@register_section("monitoring", "Ground truth in production")
def monitoring_section(workspace: Workspace) -> str:
    """Each model's latest recorded monitor run."""
    runs = latest_monitor_runs(workspace)
    if not runs:
        return ("<p>No monitor runs recorded. Record one with <code>answerkey monitor PREDICTIONS OUTCOMES "
                "--reference TRAINING --record</code>.</p>")
    return "".join(_model(run) for run in runs)
