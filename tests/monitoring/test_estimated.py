"""Estimated performance (CBPE) tracks realized performance on a calibrated model, and parts from it under
concept shift; inputs are pandas, polars or Ibis tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from answerkey.errors import ParameterError
from answerkey.monitoring.estimated import estimate_performance


def calibrated(n: int, seed: int, shift: float = 0.0, flip: float = 0.0) -> pd.DataFrame:
    """Scores that are true probabilities; ``shift`` moves the inputs (covariate shift), ``flip`` changes the
    outcome for a share of rows whatever the score (concept shift)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    score = 1.0 / (1.0 + np.exp(-1.5 * x))
    y = (rng.random(n) < score).astype(int)
    changed = rng.random(n) < flip
    y[changed] = 1 - y[changed]
    return pd.DataFrame({"ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), unit="min"),
                         "score": score, "y": y})


def test_the_estimate_tracks_realized_auc_f1_and_accuracy_under_covariate_shift() -> None:
    result = estimate_performance(calibrated(40_000, 1), calibrated(40_000, 2, shift=0.6), target="y",
                                  score="score", chunk_size=5_000, timestamp="ts")
    assert set(result["metric"]) == {"roc_auc", "f1", "accuracy"}
    assert len(result) == 8 * 3
    error = (result["estimated"] - result["realized"]).abs().groupby(result["metric"]).mean()
    assert (error < 0.01).all(), error
    inside = (result["realized"] >= result["lower"]) & (result["realized"] <= result["upper"])
    assert inside.mean() >= 0.9
    assert list(result.columns[:9]) == ["chunk", "start", "end", "n", "metric", "estimated", "lower", "upper",
                                        "lower_threshold"]


def test_under_concept_shift_the_realized_value_leaves_the_estimates_band() -> None:
    result = estimate_performance(calibrated(40_000, 1), calibrated(20_000, 3, flip=0.25), target="y",
                                  score="score", chunk_size=5_000, timestamp="ts", metrics=["accuracy"])
    outside = (result["realized"] < result["lower"]) | (result["realized"] > result["upper"])
    assert outside.all()
    assert result["alert"].sum() == 0  # the estimate alone cannot see concept shift: that is why it is compared


def test_a_drop_in_estimated_performance_raises_an_alert_before_any_label() -> None:
    analysis = calibrated(10_000, 4, shift=-3.0).drop(columns="y")  # scores pile up near 0: a harder population
    result = estimate_performance(calibrated(40_000, 1), analysis, target="y", score="score", chunk_size=5_000,
                                  timestamp="ts", metrics=["roc_auc"])
    assert "realized" not in result.columns
    assert result["alert"].all()


def test_polars_and_ibis_inputs_give_the_same_estimate_as_pandas() -> None:
    import ibis

    reference, analysis = calibrated(20_000, 1), calibrated(10_000, 2, shift=0.3)
    options = {"target": "y", "score": "score", "chunk_size": 5_000, "timestamp": "ts"}
    expected = estimate_performance(reference, analysis, **options)  # type: ignore[arg-type]
    from_polars = estimate_performance(pl.from_pandas(reference), pl.from_pandas(analysis), **options)  # type: ignore[arg-type]
    from_ibis = estimate_performance(ibis.memtable(reference), ibis.memtable(analysis), **options)  # type: ignore[arg-type]
    for other in (from_polars, from_ibis):
        assert np.allclose(other["estimated"], expected["estimated"])


def test_calendar_windows_cut_the_analysis_by_month() -> None:
    analysis = calibrated(30_000, 2).assign(ts=lambda f: pd.Timestamp("2026-01-01")
                                            + pd.to_timedelta(np.arange(len(f)) * 5, unit="min"))
    result = estimate_performance(calibrated(20_000, 1), analysis, target="y", score="score", window="month",
                                  timestamp="ts", metrics=["f1"])
    assert result["chunk"].str[:7].tolist() == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert result["n"].sum() == 30_000


def test_numbered_chunks_come_back_in_time_order_past_ten() -> None:
    analysis = calibrated(12_000, 2).sample(frac=1.0, random_state=0)  # rows out of time order: ts decides
    result = estimate_performance(calibrated(20_000, 1), analysis, target="y", score="score", chunk_size=1_000,
                                  timestamp="ts", metrics=["accuracy", "f1"])
    assert result["metric"].tolist() == ["accuracy"] * 12 + ["f1"] * 12
    for _, rows in result.groupby("metric"):
        assert rows["start"].is_monotonic_increasing
        assert (rows["n"] == 1_000).all()
        assert rows["chunk"].tolist() == list(range(12))  # numbers, so a user's own sort keeps time order
    assert result["chunk"].dtype == "int64"


@pytest.mark.parametrize(("change", "named"), [
    ({"score": "probability"}, "reference"), ({"metrics": ["mape"]}, "metrics"), ({"chunk_size": 0}, "chunk_size"),
    ({"window": "fortnight", "timestamp": "ts"}, "window"),
])
def test_bad_input_names_the_parameter(change: dict[str, object], named: str) -> None:
    options: dict[str, object] = {"target": "y", "score": "score"} | change
    with pytest.raises(ParameterError, match=named):
        estimate_performance(calibrated(2_000, 1), calibrated(2_000, 2), **options)  # type: ignore[arg-type]


def test_a_reference_with_one_class_cannot_calibrate() -> None:
    reference = calibrated(2_000, 1).assign(y=0)
    with pytest.raises(ParameterError, match="both classes"):
        estimate_performance(reference, calibrated(2_000, 2), target="y", score="score")
