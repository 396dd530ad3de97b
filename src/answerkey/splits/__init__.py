"""Splits of a release: train / validation / test assignment, the test seal, and contamination across splits."""

from answerkey.splits.assign import SPLITS, STRATEGIES, SplitPlan, assign_splits, parse_strategy
from answerkey.splits.contamination import (
    NUMERIC_DISTANCE,
    PAIR_COLUMNS,
    SPLIT_ORDER,
    TIERS,
    contamination_findings,
    contamination_pairs,
    summary,
)
from answerkey.splits.sealing import TEST_LOOKS_WARNING, ledger_findings, ledger_summary, seal_hash

__all__ = [
    "NUMERIC_DISTANCE",
    "PAIR_COLUMNS",
    "SPLITS",
    "SPLIT_ORDER",
    "STRATEGIES",
    "TEST_LOOKS_WARNING",
    "TIERS",
    "SplitPlan",
    "assign_splits",
    "contamination_findings",
    "contamination_pairs",
    "ledger_findings",
    "ledger_summary",
    "parse_strategy",
    "seal_hash",
    "summary",
]
