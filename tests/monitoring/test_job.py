"""The monitor job end to end on a binary model: what it finds and the retraining signal it gives."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from answerkey.findings import Finding, Severity
from answerkey.monitoring import load_prediction_log
from answerkey.monitoring.job import reference_period, run_monitor

START = pd.Timestamp("2026-03-02")  # a Monday: weekly windows start on it


def _log(seed: int, weeks: int, start: pd.Timestamp, *, shifted_from: int | None = None,
         concept_from: int | None = None, lag_days: float = 1.0, per_week: int = 1_400) -> pd.DataFrame:
    """A calibrated binary model: score s, outcome ~ Bernoulli(s); a feature x that moves the score.

    From week ``shifted_from`` x shifts and the scores crowd towards 0.5 (the model is less sure, so worse);
    from week ``concept_from`` the outcome no longer depends on the score (concept shift).
    """
    rng = np.random.default_rng(seed)
    n = weeks * per_week
    offsets = np.sort(rng.random(n)) * weeks * 7
    week = (offsets // 7).astype(int)
    x = rng.normal(0.0, 1.0, n)
    if shifted_from is not None:
        x = np.where(week >= shifted_from, x * 0.25 + 0.5, x)
    logit = 2.2 * x + rng.normal(0, 0.3, n)
    score = 1 / (1 + np.exp(-logit))
    truth = rng.random(n) < score
    if concept_from is not None:
        truth = np.where(week >= concept_from, rng.random(n) < 0.5, truth)
    predicted_at = start + pd.to_timedelta(offsets * 86_400, unit="s")
    observed_at = predicted_at + pd.to_timedelta(rng.exponential(lag_days, n) * 86_400, unit="s")
    return pd.DataFrame({"prediction_id": np.arange(n), "model": "churn", "predicted_at": predicted_at.as_unit("us"),
                         "x": x, "region": np.where(rng.random(n) < 0.5, "north", "south"),
                         "score": score.round(5), "prediction": (score >= 0.5).astype(int),
                         "outcome": truth.astype(int), "observed_at": observed_at.as_unit("us")})


def _monitor(frame: pd.DataFrame, as_of: pd.Timestamp, **options: object):  # type: ignore[no-untyped-def]
    reference = load_prediction_log(_log(1, 8, START - pd.Timedelta(weeks=8)))
    log = load_prediction_log(frame, engine=reference.con)
    return run_monitor(log, reference=reference, window="week", as_of=as_of, **options)  # type: ignore[arg-type]


def _checks(run) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.check for f in run.findings}


def test_a_healthy_model_needs_no_action() -> None:
    run = _monitor(_log(2, 8, START), as_of=START + pd.Timedelta(weeks=8, days=20), multivariate=False)
    assert run.signal is not None
    assert run.signal.decision == "no_action", run.findings
    assert not _checks(run) & {"monitor.realized_drop", "monitor.concept_shift", "monitor.estimated_drop"}


def test_outcomes_that_stop_following_the_scores_are_concept_shift_and_say_retrain() -> None:
    run = _monitor(_log(3, 8, START, concept_from=4), as_of=START + pd.Timedelta(weeks=8, days=20))
    assert {"monitor.concept_shift", "monitor.realized_drop"} <= _checks(run)
    shift = next(f for f in run.findings if f.check == "monitor.concept_shift" and "roc_auc" in f.where)
    assert shift.evidence["windows"][0] >= f"{START + pd.Timedelta(weeks=4):%Y-%m-%d}"
    assert run.signal is not None
    assert run.signal.decision == "retrain"


def test_a_drop_seen_only_in_estimates_and_drift_says_wait_for_the_labels() -> None:
    frame = _log(4, 8, START, shifted_from=6)
    late = frame["predicted_at"] >= START + pd.Timedelta(weeks=6)
    frame.loc[late, "observed_at"] = frame.loc[late, "predicted_at"] + pd.Timedelta(days=30)
    run = _monitor(frame, as_of=START + pd.Timedelta(weeks=8, days=1))
    checks = _checks(run)
    assert "monitor.estimated_drop" in checks
    assert "monitor.drift" in checks
    assert not checks & {"monitor.realized_drop", "monitor.concept_shift"}
    assert run.signal is not None
    assert run.signal.decision == "wait_for_labels"
    assert run.signal.check_again is not None
    assert run.signal.check_again > START + pd.Timedelta(weeks=8)
    drifted = {f.where for f in run.findings if f.check == "monitor.drift"}
    assert "churn x" in drifted
    assert "churn region" not in drifted


def test_stale_ground_truth_turns_a_measured_drop_into_refresh_first() -> None:
    stale = Finding("staleness.overdue", "60% of labels are overdue", "segment north", Severity.WARNING, 0.6)
    run = _monitor(_log(3, 8, START, concept_from=4), as_of=START + pd.Timedelta(weeks=8, days=20),
                   ground_truth=[stale], multivariate=False)
    assert run.signal is not None
    assert run.signal.decision == "refresh_ground_truth"
    assert stale in run.signal.evidence


def test_without_a_reference_only_lag_and_realized_performance_are_reported() -> None:
    log = load_prediction_log(_log(5, 4, START))
    run = run_monitor(log, window="week", as_of=START + pd.Timedelta(weeks=4))
    assert run.estimated is None
    assert run.drift is None
    assert run.notes
    assert set(run.realized["metric"]) >= {"accuracy", "roc_auc"}


def test_the_early_period_of_a_log_can_be_its_own_reference() -> None:
    log = load_prediction_log(_log(3, 10, START, concept_from=7))
    reference, current = reference_period(log, START + pd.Timedelta(weeks=4))
    assert int(reference.table.count().execute()) + int(current.table.count().execute()) == 14_000
    run = run_monitor(current, reference=reference, window="week", as_of=START + pd.Timedelta(weeks=12),
                      multivariate=False)
    assert "monitor.concept_shift" in _checks(run)
    assert run.estimated is not None
    assert run.estimated["window_start"].min() >= START + pd.Timedelta(weeks=4)


def test_segments_get_their_own_realized_performance_and_a_mismatch_table() -> None:
    run = _monitor(_log(2, 4, START), as_of=START + pd.Timedelta(weeks=6), by="region", multivariate=False)
    assert run.realized_by_segment is not None
    assert set(run.realized_by_segment["region"]) == {"north", "south"}
    assert run.mismatch is not None
    assert not run.mismatch["flagged"].any()


def test_the_run_is_plain_json_without_nan() -> None:
    run = _monitor(_log(3, 6, START, concept_from=3), as_of=START + pd.Timedelta(weeks=6, days=3), by="region")
    text = json.dumps(run.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["signal"]["decision"] in {"retrain", "refresh_ground_truth"}
    assert {"lag", "realized", "estimated", "drift", "findings", "mismatch", "multivariate"} <= set(back)


def test_several_models_in_one_log_must_be_monitored_one_at_a_time() -> None:
    frame = _log(2, 2, START)
    frame.loc[frame.index % 2 == 0, "model"] = "other"
    with pytest.raises(Exception, match="several models"):
        run_monitor(load_prediction_log(frame), window="week")


@pytest.mark.spark
def test_the_same_job_gives_the_same_numbers_on_duckdb_and_spark(spark_session: object) -> None:
    import ibis

    frame = _log(3, 4, START, concept_from=2, per_week=400)
    reference_frame = _log(1, 3, START - pd.Timedelta(weeks=3), per_week=400)
    runs = []
    for con in (ibis.duckdb.connect(), ibis.pyspark.connect(spark_session)):
        log = load_prediction_log(frame, engine=con)
        reference = load_prediction_log(reference_frame, engine=con)
        runs.append(run_monitor(log, reference=reference, window="week", by="region",
                                as_of=START + pd.Timedelta(weeks=4, days=2), multivariate=False, min_labels=20))
    duck, spark = runs
    assert (duck.lag.predictions, duck.lag.labelled) == (spark.lag.predictions, spark.lag.labelled)
    for quantile in ("median", "p90", "p99"):  # lags in whole milliseconds, truncated either way by each engine
        assert abs(getattr(duck.lag, quantile) - getattr(spark.lag, quantile)) <= pd.Timedelta(milliseconds=2)
    assert duck.lag.windows["mature"].tolist() == spark.lag.windows["mature"].tolist()
    for part in ("realized", "realized_by_segment", "estimated", "mismatch"):
        left, right = getattr(duck, part), getattr(spark, part)
        numbers = [c for c in left.columns if left[c].dtype.kind == "f"]
        pd.testing.assert_frame_equal(left.drop(columns=numbers), right.drop(columns=numbers), check_dtype=False)
        np.testing.assert_allclose(left[numbers].to_numpy(float), right[numbers].to_numpy(float), rtol=1e-9)
    assert duck.drift is not None
    assert spark.drift is not None
    np.testing.assert_allclose(duck.drift["effect_size"].to_numpy(float), spark.drift["effect_size"].to_numpy(float),
                               rtol=1e-9)
    # the same findings and signal; scores to float precision (Spark's sums run in a task order that varies)
    _assert_same_findings(duck.findings, spark.findings)
    duck_signal, spark_signal = duck.signal.to_dict(), spark.signal.to_dict()
    assert {**duck_signal, "evidence": None} == {**spark_signal, "evidence": None}
    _assert_same_findings(duck.signal.evidence, spark.signal.evidence)


def _assert_same_findings(left: Sequence[Finding], right: Sequence[Finding]) -> None:
    """The two lists hold the same findings in the same order, their scores equal to a relative 1e-9."""
    assert [{**f.to_dict(), "score": None} for f in left] == [{**f.to_dict(), "score": None} for f in right]
    assert [f.score for f in left] == pytest.approx([f.score for f in right], rel=1e-9, nan_ok=True)
