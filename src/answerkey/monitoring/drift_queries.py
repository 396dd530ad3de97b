"""Small helpers for the Ibis queries of drift: which rows have a value, a balanced UNION ALL, and bringing a
small result back to pandas. Shared within the package, not part of its API."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from answerkey.monitoring.drift_plan import GROUP, Layout

__all__ = ["execute", "fetch", "present", "union"]


def present(table: ir.Table, column: str) -> ir.BooleanValue:
    """Whether the row has a value in ``column`` (not NULL, not NaN)."""
    raw = table[column]
    mask: ir.BooleanValue = raw.notnull()
    if raw.type().is_floating():
        mask &= ~raw.isnan()
    return mask


def union(parts: list[ir.Table]) -> ir.Table:
    """UNION ALL as a balanced tree (Ibis compiles a long left-deep chain more slowly)."""
    while len(parts) > 1:
        parts = [parts[i].union(parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


def fetch(expr: ir.Table) -> pd.DataFrame:
    """Run a query and bring its (small) result over through Arrow: Ibis's own conversion to pandas costs
    more than the query here."""
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas()
    return frame


def execute(expr: ir.Table, layout: Layout) -> pd.DataFrame:
    """Run an aggregate; without groups, add a NULL group key."""
    frame = fetch(expr)
    return frame if layout.grouped else frame.assign(**{GROUP: None})
