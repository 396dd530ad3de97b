"""Split assignment: shares kept per stratum, no group across splits, time order strict, seeded and order-free."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.splits.assign import SplitPlan, assign_splits, parse_strategy


def items(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "item_id": [f"I{i:05d}" for i in range(n)],
        "label": rng.choice(["billing", "technical", "account"], n, p=[0.6, 0.3, 0.1]),
        "customer": rng.integers(0, 120, n).astype(str),
        "created_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
    })


def test_a_stratified_split_keeps_each_labels_share_in_every_split() -> None:
    frame = items()
    splits = assign_splits(frame, parse_strategy("stratified", test=0.2, validation=0.1))
    table = pd.crosstab(frame["label"], splits)
    counts = frame["label"].value_counts()
    for label, n in counts.items():
        assert abs(table.loc[label, "test"] - 0.2 * n) <= 1
        assert abs(table.loc[label, "validation"] - 0.1 * n) <= 1
    assert splits.value_counts().sum() == len(frame)


def test_the_same_seed_gives_the_same_split_whatever_the_row_order() -> None:
    frame = items()
    plan = parse_strategy("stratified", seed=7)
    first = assign_splits(frame, plan)
    shuffled = frame.sample(frac=1.0, random_state=3)
    again = assign_splits(shuffled, plan)
    assert (again.reindex(first.index) == first).all()
    assert not (assign_splits(frame, parse_strategy("stratified", seed=8)) == first).all()


def test_a_group_split_never_puts_one_group_in_two_splits_and_lands_near_the_shares() -> None:
    frame = items()
    splits = assign_splits(frame, parse_strategy("group:customer", test=0.2, validation=0.1))
    per_group = pd.DataFrame({"group": frame["customer"], "split": splits}).groupby("group")["split"].nunique()
    assert (per_group == 1).all()
    shares = splits.value_counts(normalize=True)
    assert abs(shares["test"] - 0.2) < 0.03
    assert abs(shares["validation"] - 0.1) < 0.03


def test_a_time_split_puts_train_strictly_before_validation_strictly_before_test() -> None:
    frame = items()
    splits = assign_splits(frame, parse_strategy("time:created_at"))
    times = frame["created_at"]
    assert times[splits == "train"].max() < times[splits == "validation"].min()
    assert times[splits == "validation"].max() < times[splits == "test"].min()
    assert abs((splits == "test").mean() - 0.2) < 0.03


def test_a_time_split_needs_every_items_time() -> None:
    frame = items(20)
    frame.loc[3, "created_at"] = pd.NaT
    with pytest.raises(ParameterError, match="I00003"):
        assign_splits(frame, parse_strategy("time:created_at"))


@pytest.mark.parametrize(("by", "test", "val", "named"), [
    ("shuffled", 0.2, 0.1, "--by"), ("group", 0.2, 0.1, "--by"), ("stratified", 1.2, 0.1, "--test"),
    ("stratified", 0.6, 0.5, r"--test \+ --val"),
])
def test_a_bad_plan_is_refused_naming_the_option(by: str, test: float, val: float, named: str) -> None:
    with pytest.raises(ParameterError, match=named):
        parse_strategy(by, test=test, validation=val)


def test_a_split_on_an_unknown_column_names_the_columns_there_are() -> None:
    with pytest.raises(ParameterError, match="customer"):
        assign_splits(items(10), SplitPlan("group", "tenant"))
