"""The findings of the feedback-loop checks: what each says, the evidence it carries and what it would bias.

:mod:`answerkey.quality.feedback_loop` computes the tables; this module turns their alerting rows into ``Finding``
objects, kept apart so the wording (long, and read by people deciding what to do) can change without touching the
checks, and the checks without touching the wording. Every number in a text is also in the evidence, JSON-ready.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from answerkey.findings import Finding, Severity
from answerkey.quality.feedback_stats import CheckSettings

__all__ = ["COPIES", "DEPLOYMENT", "SELECTIVE", "copies_finding", "deployment_finding", "selective_findings"]

SELECTIVE, DEPLOYMENT, COPIES = "labels.selective_labels", "labels.deployment_shift", "labels.source_copies_model"


def _evidence(row: Any, keys: list[str], s: CheckSettings | None, **extra: Any) -> dict[str, Any]:
    """The row's ``keys`` JSON-ready (numpy scalars as Python, NaN as None, floats but p-values to 4 places), then
    the settings that decided the alert and ``extra``."""
    found: dict[str, Any] = {}
    for key in keys:
        value = getattr(row, key)
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, float):
            value = None if math.isnan(value) else value if key.startswith("p_") else round(value, 4)
        found[key] = value
    return found if s is None else {**found, "alpha": s.alpha, "confidence": s.confidence, **extra}


def _p(value: Any) -> str:
    return "p < 1e-300" if value == 0 else f"p {value:.2g}"


def _effects(row: Any, s: CheckSettings) -> str:
    return (f"difference {row.difference:+.2f}, {s.confidence:.0%} CI [{row.difference_low:+.2f}, "
            f"{row.difference_high:+.2f}]; ratio {row.ratio:.2f} [{row.ratio_low:.2f}, {row.ratio_high:.2f}]; "
            f"chi-square {_p(row.p_adjusted)}")


SELECTIVE_KEYS = ["flagged_items", "flagged_labelled", "flagged_share", "unflagged_items", "unflagged_labelled",
                  "unflagged_share", "difference", "difference_low", "difference_high", "ratio", "ratio_low",
                  "ratio_high", "chi2", "p_value", "p_adjusted"]
FLAGGED_BIAS = (
    "labels exist mostly where the model flagged: a model trained on them learns its own decisions, and on them "
    "precision can be measured but recall on unflagged cases cannot (its misses stay unlabelled), so metrics on "
    "the labelled set overstate it. Label a random sample of unflagged items, or weight each label by the inverse "
    "of its item's chance of being labelled")
UNFLAGGED_BIAS = (
    "labels exist mostly where the model did not flag (outcomes seen only for what it let through, like chargebacks "
    "on approved payments): the outcome of what it flagged stays unknown, so the precision of its flags is "
    "unmeasured and a model retrained on these labels never learns from what it stopped. Let a small random share "
    "of flagged items through, or review them, to observe their outcomes")


def selective_findings(table: pd.DataFrame, segment: str | None, s: CheckSettings) -> list[Finding]:
    """One finding when the row over all items alerts, and one naming every alerting segment."""
    findings: list[Finding] = []
    overall: Any = next(table.iloc[:1].itertuples())
    if overall.alert:
        what = (f"{overall.flagged_share:.1%} of the {overall.flagged_items:,} items the model flagged have a label "
                f"against {overall.unflagged_share:.1%} of the {overall.unflagged_items:,} it did not "
                f"({_effects(overall, s)}): " + (FLAGGED_BIAS if overall.difference > 0 else UNFLAGGED_BIAS))
        findings.append(Finding(SELECTIVE, what, "all predictions", Severity.WARNING, float(abs(overall.difference)),
                                _evidence(overall, SELECTIVE_KEYS, s, min_ratio=s.min_ratio,
                                          min_difference=s.min_difference)))
    alerting = table[(table["scope"] == "segment") & table["alert"]]
    if len(alerting):
        alerting = alerting.sort_values("difference", key=abs, ascending=False, kind="stable")
        parts = [f"{row.segment} ({row.flagged_share:.1%} of flagged items labelled against "
                 f"{row.unflagged_share:.1%} of unflagged, {_p(row.p_adjusted)})" for row in alerting.itertuples()]
        bias = FLAGGED_BIAS if all(alerting["difference"] > 0) else UNFLAGGED_BIAS if all(
            alerting["difference"] < 0) else "in some segments " + FLAGGED_BIAS + "; in others " + UNFLAGGED_BIAS
        what = (f"in {len(alerting)} of {int((table['scope'] == 'segment').sum())} values of {segment!r} whether an "
                "item has a label depends on the model's flag" + ("" if overall.alert else " (not over all items)")
                + ": " + "; ".join(parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "") + ". In "
                "these segments " + bias)
        rows = [_evidence(row, ["segment", *SELECTIVE_KEYS], None) for row in alerting.itertuples()]
        findings.append(Finding(SELECTIVE, what, f"segments of {segment}", Severity.WARNING,
                                float(alerting["difference"].abs().max()),
                                {"segment_column": segment, "segments": rows, "alpha": s.alpha,
                                 "confidence": s.confidence, "min_ratio": s.min_ratio,
                                 "min_difference": s.min_difference}))
    return findings


DEPLOYMENT_BIAS = {
    "labelled_share": (
        "the share of predictions that get a label moved with the deployment: which items are labelled now depends "
        "on the new model's decisions, so labels before and after are different samples; metrics or base rates "
        "compared across the date compare different populations, and a model retrained on post-deployment labels "
        "inherits the deployed model's selection. If labels lag, recent predictions are simply not labelled yet: "
        "compare only predictions old enough to have been labelled"),
    "positive_share": (
        "the share of positive labels moved with the deployment: either the traffic changed or the model now "
        "changes the outcomes it is judged by (flagged items are reviewed, blocked or treated, and only some get "
        "labelled); prevalence, calibration and a model retrained on post-deployment labels all absorb the deployed "
        "model's policy rather than the outcome without it"),
}


def deployment_finding(row: Any, instant: pd.Timestamp, s: CheckSettings) -> Finding:
    """The finding of one alerting row of the deployment table (a share before against after ``instant``)."""
    day = f"{instant:%Y-%m-%d %H:%M}"
    measure = "predictions with a label" if row.metric == "labelled_share" else "labels that are positive"
    what = (f"{measure}: {row.after_share:.1%} of {row.after_total:,} after the deployment at {day} against "
            f"{row.before_share:.1%} of {row.before_total:,} before ({_effects(row, s)}): "
            + DEPLOYMENT_BIAS[row.metric])
    keys = ["metric", "before_total", "before_count", "before_share", "after_total", "after_count", "after_share",
            *SELECTIVE_KEYS[6:]]
    return Finding(DEPLOYMENT, what, f"{row.metric} before vs after {day}", Severity.WARNING,
                   float(abs(row.difference)), _evidence(row, keys, s, deployed_at=instant.isoformat(),
                             min_ratio=s.min_ratio, min_difference=s.min_difference))


def copies_finding(row: Any, source_column: str, s: CheckSettings) -> Finding:
    """The finding of one alerting row of the source table: a source that agrees with the model too well."""
    what = (f"{source_column} {row.source!r} agrees with the model's prediction on {row.agree_model:.1%} of the "
            f"{row.items:,} items that also have a trusted label, but with the trusted label on only "
            f"{row.agree_trusted:.1%} (margin {row.margin:+.2f}, {s.confidence:.0%} CI [{row.margin_low:+.2f}, "
            f"{row.margin_high:+.2f}]; exact McNemar {_p(row.p_adjusted)} on {row.model_only + row.trusted_only:,} "
            f"discordant items; the model itself matches the trusted labels on {row.model_accuracy:.1%}): this "
            "source copies the model (a labeling function or tool reading its output, or annotators shown its "
            "prediction). Trained on, its labels teach the model its own decisions and mistakes; evaluated on, they "
            "overstate its accuracy. Find how the prediction reaches this source and keep its labels out of "
            "training and evaluation until it is independent.")
    keys = ["source", "items", "agree_model", "agree_trusted", "model_accuracy", "margin", "margin_low",
            "margin_high", "model_only", "trusted_only", "p_value", "p_adjusted"]
    return Finding(COPIES, what, f"{source_column} {row.source}", Severity.ERROR, float(row.margin),
                   _evidence(row, keys, s, source_column=source_column, min_margin=s.min_margin))
