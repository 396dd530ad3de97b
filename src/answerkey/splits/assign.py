"""Train / validation / test assignment: stratified, random, grouped or temporal, deterministic from a seed.

Items are put in item-id order before any random draw, so the same items and seed give the same split
whatever order they arrive in. Shares are turned into counts by largest remainder, per stratum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError

__all__ = ["SPLITS", "STRATEGIES", "SplitPlan", "assign_splits", "parse_strategy"]

SPLITS = ("train", "validation", "test")
STRATEGIES = ("stratified", "random", "group", "time")


@dataclass(frozen=True)
class SplitPlan:
    """How to split: the strategy, the column it uses (group and time), the shares and the seed."""

    strategy: str
    column: str | None = None
    test: float = 0.2
    validation: float = 0.1
    seed: int = 7

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ParameterError.invalid("--by", "stratified, random, group:COLUMN or time:COLUMN", self.strategy)
        if self.strategy in ("group", "time") and not self.column:
            raise ParameterError.invalid("--by", f"{self.strategy}:COLUMN, naming the column", self.strategy)
        for name, share in (("--test", self.test), ("--val", self.validation)):
            if not 0.0 <= share < 1.0:
                raise ParameterError.invalid(name, "a share in [0, 1)", share)
        if self.test + self.validation >= 1.0:
            raise ParameterError.invalid("--test + --val", "less than 1, leaving items to train on",
                                         self.test + self.validation)

    @property
    def name(self) -> str:
        """The strategy as written on the command line: ``group:customer_id``."""
        return f"{self.strategy}:{self.column}" if self.column else self.strategy


def parse_strategy(text: str, test: float = 0.2, validation: float = 0.1, seed: int = 7) -> SplitPlan:
    """``stratified``, ``random``, ``group:COLUMN`` or ``time:COLUMN`` as a plan."""
    strategy, _, column = text.partition(":")
    return SplitPlan(strategy.strip(), column.strip() or None, test, validation, seed)


def _counts(n: int, test: float, validation: float) -> tuple[int, int]:
    """Test and validation sizes of ``n`` items, by largest remainder over the three shares."""
    shares = np.array([1.0 - test - validation, validation, test]) * n
    counts = np.floor(shares).astype(int)
    remainder = n - counts.sum()
    for index in np.argsort(-(shares - counts), kind="stable")[:remainder]:
        counts[index] += 1
    return int(counts[2]), int(counts[1])


def _shuffled_order(n: int, seed: int) -> np.ndarray:
    order: np.ndarray = np.random.default_rng(seed).permutation(n)
    return order


def assign_splits(items: pd.DataFrame, plan: SplitPlan, label: str = "label", item_id: str = "item_id") -> pd.Series:
    """Every item's split (``train``, ``validation`` or ``test``), indexed like ``items``.

    - ``stratified``: each label keeps its share in every split (unlabeled items are a stratum of their own).
    - ``random``: shares over all items.
    - ``group``: whole groups go to one split, so no group crosses splits; items without a group are
      groups of one. Groups are drawn in random order and fill test, then validation.
    - ``time``: train is strictly older than validation, which is strictly older than test; items with
      equal times stay together (on the later side, unless that would empty the earlier one).
    """
    if item_id not in items.columns:
        raise ParameterError.invalid("items", f"a column {item_id!r}", list(items.columns))
    if items[item_id].duplicated().any():
        raise ParameterError.invalid("items", "one row per item", "duplicated item ids")
    ordered = items.assign(_position=np.arange(len(items))).sort_values(item_id, kind="stable")
    ordered = ordered.reset_index(drop=True)
    result = np.full(len(ordered), "train", dtype=object)
    if plan.strategy in ("group", "time") and plan.column not in ordered.columns:
        raise ParameterError.invalid("--by", f"a column of the items ({', '.join(map(str, items.columns))})",
                                     plan.column)
    if plan.strategy == "stratified":
        strata = ordered[label].astype(object).where(ordered[label].notna(), "\0unlabeled") if label in ordered \
            else pd.Series("", index=ordered.index)
        rng = np.random.default_rng(plan.seed)
        for _, members in strata.groupby(strata.astype(str), sort=True).groups.items():
            positions = np.asarray(members)[rng.permutation(len(members))]
            _fill(result, positions, *_counts(len(positions), plan.test, plan.validation))
    elif plan.strategy == "random":
        positions = _shuffled_order(len(ordered), plan.seed)
        _fill(result, positions, *_counts(len(ordered), plan.test, plan.validation))
    elif plan.strategy == "group":
        _assign_groups(result, ordered, str(plan.column), plan)
    else:
        _assign_times(result, ordered, str(plan.column), plan)
    splits = pd.Series(result, index=ordered["_position"].to_numpy()).sort_index()
    return pd.Series(splits.to_numpy(), index=items.index, name="split")


def _fill(result: np.ndarray, positions: np.ndarray, n_test: int, n_validation: int) -> None:
    result[positions[:n_test]] = "test"
    result[positions[n_test:n_test + n_validation]] = "validation"


def _assign_groups(result: np.ndarray, ordered: pd.DataFrame, column: str, plan: SplitPlan) -> None:
    keys = ordered[column].astype(object)
    keys = keys.where(keys.notna(), "\0item:" + ordered["item_id"].astype(str))
    codes, uniques = pd.factorize(keys.astype(str), sort=True)
    sizes = np.bincount(codes, minlength=len(uniques))
    n_test, n_validation = _counts(len(ordered), plan.test, plan.validation)
    destination = np.full(len(uniques), "train", dtype=object)
    filled = {"test": 0, "validation": 0}
    for group in _shuffled_order(len(uniques), plan.seed):
        size = sizes[group]
        for split, target in (("test", n_test), ("validation", n_validation)):
            # a group goes where it brings the split closer to its target than leaving it out would
            if filled[split] < target and abs(filled[split] + size - target) <= abs(filled[split] - target):
                destination[group] = split
                filled[split] += size
                break
    result[:] = destination[codes]


def _assign_times(result: np.ndarray, ordered: pd.DataFrame, column: str, plan: SplitPlan) -> None:
    times = pd.to_datetime(ordered[column], errors="coerce", utc=True)
    missing = times.isna()
    if missing.any():
        first = ordered.loc[missing, "item_id"].iloc[0]
        raise ParameterError(f"a time split needs every item's {column}; item {first!r} and "
                             f"{int(missing.sum()) - 1} more have none")
    n_test, n_validation = _counts(len(ordered), plan.test, plan.validation)
    order = np.argsort(times.to_numpy(), kind="stable")
    stamps = times.to_numpy()[order]
    n = len(order)
    test_start = _tie_boundary(stamps, n - n_test)
    validation_start = _tie_boundary(stamps[:test_start], test_start - n_validation) if n_validation else test_start
    result[order[validation_start:test_start]] = "validation"
    result[order[test_start:]] = "test"


def _tie_boundary(stamps: np.ndarray, cut: int) -> int:
    """Move ``cut`` so that items with the time at the cut stay together: on the later side when that leaves
    the earlier side non-empty, else on the earlier side. The earlier side is then strictly older."""
    n = len(stamps)
    if cut <= 0 or cut >= n or stamps[cut] != stamps[cut - 1]:
        return max(0, min(cut, n))
    start = int(np.searchsorted(stamps, stamps[cut], side="left"))
    return start if start > 0 else int(np.searchsorted(stamps, stamps[cut], side="right"))
