"""Label lag: the lag distribution, coverage per window and maturity dates of a hand-made log, on each engine."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.monitoring import label_lag, load_prediction_log

DAY1, DAY2, DAY3 = pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-06")
LAG_HOURS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
"""The lags of the ten labelled predictions, in hours, in prediction id order."""


def hand_made() -> tuple[pd.DataFrame, pd.DataFrame]:
    """14 predictions over three days; ten have an outcome, with lags of 1 to 10 hours.

    Day 1 (Mon 4 March): p0..p5, outcomes for p0..p4 (lags 1-5 h); day 2: p6..p9, outcomes for p6..p8
    (lags 6-8 h); day 3: p10..p13, outcomes for p10 and p11 (lags 9 and 10 h).
    """
    times = [DAY1 + pd.Timedelta(hours=h) for h in (1, 3, 5, 7, 9, 11)]
    times += [DAY2 + pd.Timedelta(hours=h) for h in (2, 4, 6, 8)]
    times += [DAY3 + pd.Timedelta(hours=h) for h in (1, 2, 3, 4)]
    predictions = pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(14)], "predicted_at": times, "prediction": [1] * 14,
        "segment": ["web", "app"] * 7,
    })
    labelled = [0, 1, 2, 3, 4, 6, 7, 8, 10, 11]
    outcomes = pd.DataFrame({
        "prediction_id": [f"p{i}" for i in labelled], "outcome": [1] * 10,
        "observed_at": [times[i] + pd.Timedelta(hours=lag) for i, lag in zip(labelled, LAG_HOURS, strict=True)],
    })
    return predictions, outcomes


def test_lag_quantiles_coverage_and_maturity_dates_are_exact(engine: Any) -> None:
    predictions, outcomes = hand_made()
    report = label_lag(load_prediction_log(predictions, outcomes, engine=engine), window="day", max_lag="12 hours")
    # Kaplan-Meier by hand (as of day 3, 12:00): events at 1..10 h; p13 and p12 censored at 8 and 9 h, p9 and p5
    # at 28 and 49 h (past max_lag: never labelled). S falls 13/14, 12/14, ... 8/14 at 6 h, 7/14 at 7 h, 6/14 at
    # 8 h, then 6/14 * 4/5 at 9 h and 6/14 * 4/5 * 2/3 = 0.2286 at 10 h, so 77.1% ever get an outcome: half of
    # them by 6 h (S 0.571 <= 1 - 0.5 * 0.771), 90% and 99% by 10 h
    assert report.median == pd.Timedelta(hours=6)
    assert report.p90 == report.p99 == pd.Timedelta(hours=10)
    assert (report.arrived_median, report.arrived_p90) == (pd.Timedelta(hours=5.5), pd.Timedelta(hours=9.1))
    assert (report.predictions, report.labelled, report.coverage) == (14, 10, 10 / 14)
    windows = report.windows
    assert list(windows["window_start"]) == [DAY1, DAY2, DAY3]
    assert list(windows["window_end"]) == [DAY2, DAY3, DAY3 + pd.Timedelta(days=1)]
    assert list(windows["predictions"]) == [6, 4, 4]
    assert list(windows["labelled"]) == [5, 3, 2]
    assert list(windows["coverage"]) == [5 / 6, 3 / 4, 2 / 4]
    assert list(windows["lag_median"]) == [pd.Timedelta(hours=3), pd.Timedelta(hours=7), pd.Timedelta(hours=9.5)]
    # expected maturity: the window's end plus the p90 lag (10 h)
    assert list(windows["expected_maturity"]) == [DAY2 + pd.Timedelta(hours=10), DAY3 + pd.Timedelta(hours=10),
                                                  DAY3 + pd.Timedelta(days=1, hours=10)]
    # as of the last observation (p11 at day 3, 02:00 + 10 h = 12:00), the first two windows are mature
    assert report.as_of == DAY3 + pd.Timedelta(hours=12)
    assert list(windows["mature"]) == [True, True, False]


def test_predictions_waiting_twice_the_longest_lag_seen_are_taken_never_to_get_an_outcome() -> None:
    predictions, outcomes = hand_made()
    report = label_lag(load_prediction_log(predictions, outcomes), window="day")
    # the log has followed predictions 59 h, past twice the longest lag (10 h): the curve's plateau (0.2286) is the
    # share that never gets an outcome, as with max_lag
    assert report.median == pd.Timedelta(hours=6)
    assert report.p90 == pd.Timedelta(hours=10)
    assert list(report.windows["mature"]) == [True, True, False]


def test_as_of_looks_at_the_log_as_it_stood_then() -> None:
    predictions, outcomes = hand_made()
    report = label_lag(load_prediction_log(predictions, outcomes), as_of=DAY2 + pd.Timedelta(hours=9))
    # by 09:00 on day 2: p0..p9 were made; p0..p4 (observed on day 1) and p6 (at 08:00) had their outcome. The
    # waiting p9, p8, p7 (1, 3, 5 h) leave the risk set with the events at those times: S = 0.9, 0.7875, 0.675,
    # 0.54, 0.405, 0.2025 at 1..6 h; p5 has waited 22 h, past twice the longest lag, so 79.75% ever get an
    # outcome and half of them have by 4 h (S 0.54 <= 1 - 0.5 * 0.7975)
    assert (report.predictions, report.labelled) == (10, 6)
    assert report.median == pd.Timedelta(hours=4)
    assert report.arrived_median == pd.Timedelta(hours=3.5)
    assert list(report.windows["labelled"]) == [5, 1]
    assert list(report.windows["coverage"]) == [5 / 6, 1 / 4]
    assert report.as_of == DAY2 + pd.Timedelta(hours=9)


def test_chunks_of_predictions_in_time_order_have_their_first_and_last_times() -> None:
    predictions, outcomes = hand_made()
    windows = label_lag(load_prediction_log(predictions.sample(frac=1, random_state=3), outcomes), window=5).windows
    assert list(windows["chunk"]) == [0, 1, 2]
    assert list(windows["predictions"]) == [5, 5, 4]
    assert list(windows["labelled"]) == [5, 3, 2]
    assert windows["window_start"].iloc[1] == DAY1 + pd.Timedelta(hours=11)
    assert windows["window_end"].iloc[1] == DAY2 + pd.Timedelta(hours=8)


def test_segments_split_each_window() -> None:
    predictions, outcomes = hand_made()
    windows = label_lag(load_prediction_log(predictions, outcomes), by="segment").windows
    assert list(zip(windows["segment"], windows["predictions"], windows["labelled"], strict=True)) == [
        ("app", 3, 2), ("web", 3, 3), ("app", 2, 1), ("web", 2, 2), ("app", 2, 1), ("web", 2, 1)]


def test_a_log_without_outcomes_reports_no_lag_and_no_maturity() -> None:
    predictions, _ = hand_made()
    log = load_prediction_log(predictions.assign(outcome=None, observed_at=pd.NaT))
    report = label_lag(log)
    assert report.labelled == 0
    assert pd.isna(report.median)
    assert pd.isna(report.maturity_lag)
    assert not report.windows["mature"].any()
    json.dumps(report.to_dict())


def test_the_report_is_json_ready() -> None:
    predictions, outcomes = hand_made()
    data = json.loads(json.dumps(label_lag(load_prediction_log(predictions, outcomes)).to_dict()))
    assert data["median"] == "P0DT6H0M0S"
    assert (data["estimator"], data["arrived_median"]) == ("kaplan-meier", "P0DT5H30M0S")
    assert data["windows"][0]["window_start"] == "2024-03-04T00:00:00"


@pytest.mark.parametrize(("option", "value"), [("maturity_quantile", 1.0), ("window", "year"), ("window", 0),
                                               ("by", "segmnt")])
def test_bad_parameters_are_refused_with_one_message_form(option: str, value: Any) -> None:
    predictions, outcomes = hand_made()
    with pytest.raises(ParameterError, match=option if option != "by" else "did you mean 'segment'"):
        label_lag(load_prediction_log(predictions, outcomes), **{option: value})


def test_with_outcomes_still_arriving_the_lag_quantiles_are_unbiased_where_the_arrived_ones_are_short() -> None:
    rng = np.random.default_rng(19)
    n, start = 20_000, pd.Timestamp("2024-01-01")
    predicted = (start + pd.to_timedelta(rng.uniform(0, 84, n), unit="D")).floor("s")
    observed = (predicted + pd.to_timedelta(rng.exponential(10, n), unit="D")).floor("s")
    ids = np.arange(n)
    report = label_lag(load_prediction_log(
        pd.DataFrame({"prediction_id": ids, "predicted_at": predicted, "prediction": 1}),
        pd.DataFrame({"prediction_id": ids, "outcome": 1, "observed_at": observed})),
        as_of=start + pd.Timedelta(days=84))
    day = pd.Timedelta(days=1)
    assert 0.10 < 1 - report.coverage < 0.15  # outcomes still missing
    truth = {q: -10 * np.log(1 - q) for q in (0.5, 0.9, 0.99)}  # exponential lag, mean 10 days: 6.9, 23.0, 46.1
    for q, estimate in ((0.5, report.median), (0.9, report.p90), (0.99, report.p99)):
        assert abs(estimate / day - truth[q]) / truth[q] < 0.05
    assert report.p90_low / day < truth[0.9] < report.p90_high / day
    assert report.arrived_p90 / day < 0.9 * truth[0.9]  # the arrived lags alone: biased short by over 10%
    early = label_lag(load_prediction_log(
        pd.DataFrame({"prediction_id": ids, "predicted_at": predicted, "prediction": 1}),
        pd.DataFrame({"prediction_id": ids, "outcome": 1, "observed_at": observed})),
        as_of=start + pd.Timedelta(days=30))
    # followed 30 days, not twice the longest lag seen: a p99 of 46 days cannot be told yet, and is not guessed
    assert pd.isna(early.p99)
    assert abs(early.p90 / day - truth[0.9]) / truth[0.9] < 0.05
