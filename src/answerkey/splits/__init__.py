"""Splits of a release: train / validation / test assignment, the test seal, and contamination across splits."""

from answerkey.splits.contamination import (
    NUMERIC_DISTANCE,
    PAIR_COLUMNS,
    SPLIT_ORDER,
    TIERS,
    contamination_findings,
    contamination_pairs,
    summary,
)

__all__ = [
    "NUMERIC_DISTANCE",
    "PAIR_COLUMNS",
    "SPLIT_ORDER",
    "TIERS",
    "contamination_findings",
    "contamination_pairs",
    "summary",
]
