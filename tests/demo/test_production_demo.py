"""The demo's deployed router: deterministic, SMB grows, month 4 drifts, outcomes arrive late or never."""

from __future__ import annotations

import pandas as pd

from answerkey.demo.production import QUEUES, generate_production


def test_the_same_seed_gives_the_same_production_frames() -> None:
    first, again = generate_production(seed=3, per_day=20), generate_production(seed=3, per_day=20)
    pd.testing.assert_frame_equal(first.predictions, again.predictions)
    pd.testing.assert_frame_equal(first.outcomes, again.outcomes)


def test_the_story_smb_grows_accuracy_drops_in_month_four_and_outcomes_lag() -> None:
    data = generate_production()
    live = data.predictions.assign(month=data.predictions["predicted_at"].dt.to_period("M"))
    smb_share = live.groupby("month")["segment"].apply(lambda s: (s == "smb").mean())
    assert smb_share.iloc[0] < 0.62 < 0.75 < smb_share.iloc[-1]
    joined = live.merge(data.outcomes, on="prediction_id")
    accuracy = joined.groupby("month").apply(lambda g: (g["prediction"] == g["outcome"]).mean())
    assert accuracy.iloc[:3].min() - accuracy.iloc[3:].max() > 0.08
    assert set(data.predictions["prediction"]) <= set(QUEUES)
    lag = (joined["observed_at"] - joined["predicted_at"]).dt.total_seconds() / 86_400
    assert 2.0 < lag.median() < 4.5
    coverage = len(data.outcomes) / len(data.predictions)
    assert 0.8 < coverage < 0.93
    assert (data.outcomes["observed_at"] <= data.as_of).all()
