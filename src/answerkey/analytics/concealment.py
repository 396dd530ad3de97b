"""What the answering side may see of a judged run: its verdicts, never the gold.

An agent's token pushes answers and reads their verdicts. If it could also read the gold SQL, the gold's values
or where its result first differed, it could pass the golden set by copying (0/49 to 49/49 in two requests).
Row F1 and column overlap are hidden too: partial credit on each try is an oracle for the gold's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CONCEALED_REASONS", "UNJUDGED", "conceal_result", "conceal_summary"]

CONCEALED_REASONS = {
    "pass": "the result matches the gold",
    "result-mismatch": "the result differs from the gold",
    "gold-error": "the gold could not be executed; a reviewer can see why",
}
"""The reason shown in place of one that describes the gold; other verdicts' reasons are about the answer."""

UNJUDGED = "the answer could not be judged"
"""How the reason of an answer whose judging failed begins (see ``evaluation``)."""
_GOLD_FIELDS = ("gold_sql", "first_difference", "column_overlap", "row_f1")


def conceal_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """One question's result as the answering side sees it: the verdict, the answer's own SQL and an error
    that the answer caused; nothing read from the gold."""
    shown = {key: value for key, value in result.items() if key not in _GOLD_FIELDS}
    verdict = str(result.get("verdict", ""))
    if verdict in CONCEALED_REASONS:
        shown["reason"] = CONCEALED_REASONS[verdict]
    elif str(result.get("reason", "")).startswith(UNJUDGED):  # the failure may have been the gold's
        shown["reason"] = UNJUDGED + "; a reviewer can see why"
    shown["differences"] = []
    return shown | {"concealed": True}


def conceal_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A run's summary without the context gaps (they are read from the gold's tables and metrics)."""
    return {key: value for key, value in summary.items() if key != "context_gaps"} | {"concealed": True}
