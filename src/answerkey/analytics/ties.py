"""Rows the gold's ORDER BY leaves tied: they may come back in any order, and a LIMIT that cuts through them
may keep any of them. Found by running the gold with its sort keys as extra columns and no LIMIT."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

from sqlglot.errors import SqlglotError

from answerkey.analytics.compare import ResultTable, Ties
from answerkey.analytics.sql import order_key_query

__all__ = ["tie_query", "ties_of"]


def tie_query(gold_sql: str, dialect: str | None) -> tuple[str, int, int | None] | None:
    """The gold with its ORDER BY keys appended as columns and its LIMIT removed, its width and its LIMIT; None
    when the gold is not ordered or cannot be rewritten so."""
    try:
        return order_key_query(gold_sql, dialect, unlimited=True)
    except (SqlglotError, RecursionError):
        return None


def ties_of(keyed: ResultTable, width: int, limit: int | None, gold: ResultTable) -> Ties | None:
    """The tie blocks of the gold's rows (sizes of consecutive runs with equal keys) and, when the LIMIT cuts
    through a run, the rows of that run the gold did not show (the keyed run is another execution: which tied
    rows it shows may differ from the gold's); None when no two rows tie or the runs do not line up."""
    rows = keyed.rows
    shown = rows[:limit] if limit is not None else rows
    if len(shown) != len(gold.rows) or not shown:
        return None
    keys = [tuple(row[width:]) for row in shown]
    blocks = [len(list(run)) for _, run in groupby(keys)]
    cut = limit is not None and len(rows) > limit >= 1 and tuple(rows[limit][width:]) == keys[-1]
    if all(size == 1 for size in blocks) and not cut:
        return None
    pool: list[tuple[Any, ...]] = []
    if cut:
        remaining = Counter(tuple(row) for row in gold.rows[len(shown) - blocks[-1]:])
        for row in rows:
            if tuple(row[width:]) != keys[-1]:
                continue
            values = tuple(row[:width])
            if remaining[values] > 0:
                remaining[values] -= 1
            else:
                pool.append(values)
    return Ties(blocks, pool)
