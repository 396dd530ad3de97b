"""The monitor's findings: performance that left its band (estimated before the labels, realized after),
estimates the outcomes contradict (concept shift), inputs that drifted, and windows still waiting for labels.

One finding per check and metric (or column), naming every window it concerns, so a long log gives a short list.
Pure: the monitor's small frames in, findings out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from answerkey.findings import Finding, Severity

__all__ = ["drift_findings", "lag_findings", "multivariate_finding", "performance_findings"]


def _day(stamp: Any) -> str:
    return f"{pd.Timestamp(stamp):%Y-%m-%d}"


def _windows(stamps: pd.Series) -> str:
    days = [_day(s) for s in stamps]
    return ", ".join(days[:4]) + (f" and {len(days) - 4} more" if len(days) > 4 else "")


def performance_findings(estimated: pd.DataFrame, model: str, min_labels: int) -> list[Finding]:
    """Findings from the estimated-performance table joined to maturity (columns as :func:`run_monitor` keeps).

    ``estimated`` has ``window_start``, ``metric``, ``estimated``, ``lower``, ``upper``, ``lower_threshold``,
    ``upper_threshold``, ``realized``, ``labeled``, ``n`` and ``mature``.
    """
    findings: list[Finding] = []
    if estimated.empty:
        return findings
    frame = estimated.copy()
    measured = frame["mature"] & (frame["labeled"] >= min_labels) & frame["realized"].notna()
    for metric, part in frame.groupby("metric", sort=False):
        findings += _below_band(
            "monitor.realized_drop", Severity.ERROR, part[measured.loc[part.index]], "realized", model, metric,
            "realized {metric} of {model} fell below its reference band (>= {threshold:.3f}) in {count} mature "
            "window(s): {windows}; lowest {lowest:.3f} on {labeled:,} outcomes", with_threshold=True)
        parted = part[measured.loc[part.index]
                      & ((part["realized"] < part["lower"]) | (part["realized"] > part["upper"]))]
        if len(parted):
            gap = (parted["realized"] - parted["estimated"]).abs()
            worst = parted.assign(gap=gap).sort_values("gap").iloc[-1]
            findings.append(Finding(
                "monitor.concept_shift",
                f"{metric} of {model}: the outcomes contradict the estimate in {len(parted)} mature window(s) "
                f"({_windows(parted['window_start'])}); worst estimated {worst['estimated']:.3f}, realized "
                f"{worst['realized']:.3f}, outside the estimate's band [{worst['lower']:.3f}, {worst['upper']:.3f}]"
                ": the relation between inputs and outcomes changed, so estimates of immature windows are not to "
                "be trusted; retrain on recent outcomes",
                f"{model} {metric}", Severity.ERROR, float(gap.max()),
                {"windows": [_day(s) for s in parted["window_start"]],
                 "estimated": [round(float(v), 4) for v in parted["estimated"]],
                 "realized": [round(float(v), 4) for v in parted["realized"]]}))
        findings += _below_band(
            "monitor.estimated_drop", Severity.WARNING, part[~part["mature"]], "estimated", model, metric,
            "estimated {metric} of {model} is below its reference band (>= {threshold:.3f}) in {count} window(s) "
            "whose outcomes have not matured: {windows}; lowest estimate {lowest:.3f}")
    return findings


def _below_band(check: str, severity: Severity, rows: pd.DataFrame, value: str, model: str, metric: Any,
                wording: str, *, with_threshold: bool = False) -> list[Finding]:
    """A finding naming the windows of ``rows`` whose ``value`` (``realized`` or ``estimated``) is under the
    reference band, scored by how far the lowest one is below it; none when no window is.

    ``wording`` is a :meth:`str.format` template over ``metric``, ``model``, ``count`` and ``windows`` (the windows
    under the band), ``threshold`` (the band's lower edge), ``lowest`` (the lowest value) and ``labeled`` (its
    outcomes). ``with_threshold`` adds that edge to the evidence.
    """
    below = rows[rows[value] < rows["lower_threshold"]]
    if below.empty:
        return []
    worst = below.sort_values(value).iloc[0]
    labeled = None if pd.isna(worst["labeled"]) else int(worst["labeled"])
    what = wording.format(metric=metric, model=model, count=len(below), windows=_windows(below["window_start"]),
                          threshold=worst["lower_threshold"], lowest=worst[value], labeled=labeled)
    evidence: dict[str, Any] = {"windows": [_day(s) for s in below["window_start"]],
                                value: [round(float(v), 4) for v in below[value]]}
    if with_threshold:
        evidence["lower_threshold"] = float(worst["lower_threshold"])
    return [Finding(check, what, f"{model} {metric}", severity, float(worst["lower_threshold"] - worst[value]),
                    evidence)]


def drift_findings(drift: pd.DataFrame, model: str) -> list[Finding]:
    """One finding per column that drifted materially (``drifted``: effect over its threshold, and significant)
    beyond its usual variability (``alert``) in any window, naming the first and latest such window."""
    findings: list[Finding] = []
    if drift.empty:
        return findings
    for column, part in drift[drift["alert"] & drift["drifted"]].groupby("column", sort=False):
        part = part.sort_values("window")
        last = part.iloc[-1]
        role = str(last.get("role") or "feature")
        what = {"prediction": "the model's predictions", "label": "the outcomes"}.get(role, f"input {column}")
        findings.append(Finding(
            "monitor.drift",
            f"{what} drifted from the reference in {len(part)} window(s), first {_day(part['window'].iloc[0])}, "
            f"latest {_day(last['window'])} ({last['method']} effect {last['effect_size']:.3f}, alert above "
            f"{last['upper']:.3f})",
            f"{model} {column}", Severity.WARNING, float(part["effect_size"].max()),
            {"windows": [_day(s) for s in part["window"]], "method": str(last["method"]), "role": role,
             "effect_size": [round(float(v), 4) for v in part["effect_size"]]}))
    return findings


def multivariate_finding(result: Any, model: str, window: Any) -> list[Finding]:
    """A finding when a domain classifier tells the latest window from the reference."""
    if not result.drifted:
        return []
    top = list(result.importances.items())[:3]
    return [Finding(
        "monitor.multivariate_drift",
        f"a classifier tells the window of {_day(window)} from the reference (AUC {result.auc:.3f}, p "
        f"{result.p_value:.2g}); the columns that carry it: "
        + ", ".join(f"{name} ({value:.3f})" for name, value in top),
        f"{model} inputs", Severity.WARNING, float(result.auc),
        {"auc": float(result.auc), "p_value": float(result.p_value),
         "importances": {k: float(v) for k, v in result.importances.items()}})]


def lag_findings(windows: pd.DataFrame, model: str) -> list[Finding]:
    """An informational finding naming the windows still waiting for their outcomes, and when they mature."""
    waiting = windows[~windows["mature"].astype(bool)]
    if waiting.empty:
        return []
    maturity = pd.to_datetime(waiting["expected_maturity"]).max()
    coverage = float(np.nanmin(waiting["coverage"].to_numpy(dtype=float))) if len(waiting) else np.nan
    return [Finding(
        "monitor.label_lag",
        f"{len(waiting)} window(s) of {model} are not mature yet (lowest label coverage {coverage:.0%}); the "
        f"last matures around {_day(maturity)}: their realized performance is provisional",
        f"{model} outcomes", Severity.INFO, coverage,
        {"windows": [_day(s) for s in waiting["window_start"]], "expected_maturity": _day(maturity)})]
