"""The retraining signal: one decision per model (retrain now, wait for labels, refresh ground truth first, or
nothing to do) from the monitor's findings, with the evidence that decided it.

Retraining fixes a model only when the answer key it would learn from is sound and the evidence that the model
got worse is real. So the rules, in order:

1. Realized performance left its reference band, or the estimate and the realized value parted (concept shift):
   the model got worse, measured. Retrain, unless the ground truth itself is suspect (production segments the
   training labels barely cover, labels past their review cadence or made under an old schema): then refresh
   the ground truth first, or the new model learns the same gaps.
2. Only early warnings (the estimate left its band on windows whose labels have not matured, or inputs drifted):
   wait for the labels, until the affected windows' expected maturity; refresh the ground truth first if it is
   suspect, because the labels that arrive will be judged against it.
3. Only ground-truth problems: refresh the ground truth.
4. Nothing: no action, check again when the next window matures.

Pure: findings in, a decision out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from answerkey.findings import Finding

__all__ = ["DECISIONS", "GROUND_TRUTH_CHECKS", "MEASURED_CHECKS", "WARNING_CHECKS", "RetrainingSignal",
           "retraining_signal"]

DECISIONS = ("retrain", "wait_for_labels", "refresh_ground_truth", "no_action")
MEASURED_CHECKS = ("monitor.realized_drop", "monitor.concept_shift")
"""Findings that show, with outcomes, that the model got worse."""
WARNING_CHECKS = ("monitor.estimated_drop", "monitor.drift", "monitor.multivariate_drift")
"""Findings that warn before the outcomes arrive."""
GROUND_TRUTH_CHECKS = ("mismatch.segment", "staleness.overdue", "staleness.old_schema")
"""Findings that the answer key itself does not cover or no longer describes production."""


@dataclass(frozen=True)
class RetrainingSignal:
    """The decision for one model, why, the findings behind it, and when to look again."""

    model: str
    decision: str
    reason: str
    evidence: list[Finding] = field(default_factory=list)
    check_again: pd.Timestamp | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"model": self.model, "decision": self.decision, "reason": self.reason,
                "check_again": None if self.check_again is None else self.check_again.isoformat(),
                "evidence": [f.to_dict() for f in self.evidence]}


def _of(findings: Sequence[Finding], checks: Sequence[str]) -> list[Finding]:
    return [f for f in findings if f.check in checks]


def _names(findings: Sequence[Finding]) -> str:
    wheres = list(dict.fromkeys(f.where for f in findings))
    return ", ".join(wheres[:3]) + (f" and {len(wheres) - 3} more" if len(wheres) > 3 else "")


def retraining_signal(model: str, findings: Sequence[Finding], *, maturity: pd.Timestamp | None = None,
                      next_window: pd.Timestamp | None = None) -> RetrainingSignal:
    """Decide for ``model`` from the monitor's ``findings`` (and the ground truth's, when the workspace has them).

    ``maturity`` is when the windows with early warnings will have their outcomes (the latest warned window's
    expected maturity); ``next_window`` when the next window matures, for a healthy model.
    """
    measured = _of(findings, MEASURED_CHECKS)
    warnings = _of(findings, WARNING_CHECKS)
    ground_truth = _of(findings, GROUND_TRUTH_CHECKS)
    suspect = (f" The ground truth is suspect ({_names(ground_truth)}): refresh it first, or the new model "
               "learns the same gaps." if ground_truth else "")
    if measured:
        decision = "refresh_ground_truth" if ground_truth else "retrain"
        reason = f"Measured with outcomes: {_names(measured)}." + (
            suspect if ground_truth else " Retrain on recent labelled data that covers the affected windows.")
        return RetrainingSignal(model, decision, reason, [*measured, *ground_truth, *warnings])
    if warnings:
        when = f" until {maturity:%Y-%m-%d}" if maturity is not None else ""
        if ground_truth:
            return RetrainingSignal(
                model, "refresh_ground_truth",
                f"Early warnings ({_names(warnings)}), outcomes not yet mature{when}." + suspect,
                [*ground_truth, *warnings], maturity)
        return RetrainingSignal(
            model, "wait_for_labels",
            f"Early warnings ({_names(warnings)}) but no outcome confirms a drop yet: wait for the labels{when}, "
            "then compare realized with estimated performance.", warnings, maturity)
    if ground_truth:
        return RetrainingSignal(model, "refresh_ground_truth",
                                f"Performance holds, but the ground truth is suspect ({_names(ground_truth)}): "
                                "refresh it before the next training or evaluation.", ground_truth, next_window)
    return RetrainingSignal(model, "no_action", "Performance holds within its reference band and no input drifted.",
                            [], next_window)
