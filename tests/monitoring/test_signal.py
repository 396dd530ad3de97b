"""The retraining signal: which evidence leads to which decision."""

from __future__ import annotations

import pandas as pd

from answerkey.findings import Finding, Severity
from answerkey.monitoring.signal import retraining_signal


def _finding(check: str, where: str = "router accuracy") -> Finding:
    return Finding(check, "what", where, Severity.WARNING, 0.1)


MATURE = pd.Timestamp("2026-11-10")


def test_a_measured_drop_on_sound_ground_truth_says_retrain() -> None:
    signal = retraining_signal("router", [_finding("monitor.realized_drop"), _finding("monitor.drift", "router x")])
    assert signal.decision == "retrain"
    assert [f.check for f in signal.evidence] == ["monitor.realized_drop", "monitor.drift"]


def test_concept_shift_alone_is_a_measured_drop() -> None:
    assert retraining_signal("router", [_finding("monitor.concept_shift")]).decision == "retrain"


def test_a_measured_drop_on_stale_or_uncovered_ground_truth_says_refresh_it_first() -> None:
    for check in ("staleness.overdue", "mismatch.segment", "staleness.old_schema"):
        signal = retraining_signal("router", [_finding("monitor.realized_drop"), _finding(check, "segment smb")])
        assert signal.decision == "refresh_ground_truth"
        assert "segment smb" in signal.reason


def test_early_warnings_alone_say_wait_until_the_windows_mature() -> None:
    signal = retraining_signal("router", [_finding("monitor.estimated_drop"), _finding("monitor.drift", "router x")],
                               maturity=MATURE)
    assert signal.decision == "wait_for_labels"
    assert signal.check_again == MATURE
    assert "2026-11-10" in signal.reason


def test_lag_information_alone_is_no_reason_to_act() -> None:
    signal = retraining_signal("router", [_finding("monitor.label_lag")], next_window=MATURE)
    assert signal.decision == "no_action"
    assert signal.check_again == MATURE


def test_ground_truth_problems_alone_say_refresh() -> None:
    assert retraining_signal("router", [_finding("staleness.overdue")]).decision == "refresh_ground_truth"


def test_the_signal_is_json_ready() -> None:
    data = retraining_signal("router", [_finding("monitor.estimated_drop")], maturity=MATURE).to_dict()
    assert data["decision"] == "wait_for_labels"
    assert data["check_again"].startswith("2026-11-10")
    assert data["evidence"][0]["check"] == "monitor.estimated_drop"
