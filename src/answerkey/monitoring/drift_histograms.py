"""The engine passes of drift: summaries, fine-bin histograms of numeric columns, the exact pass over the bins
they leave undecided, and category counts. Each is one batched Ibis query over all columns (and groups);
only bins and counts come back. Shared within the package, not part of its API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from answerkey.monitoring.drift_plan import GROUP, Layout, Spec
from answerkey.monitoring.drift_queries import execute, fetch, present, union

__all__ = ["SPLIT_SHARE", "SUB", "Grid", "category_counts", "exact_pass", "grids", "histograms", "summary"]

SUB = 4096
"""A dense fine bin is split into at most this many sub-bins; bin keys are ``bin * SUB + sub_bin``."""
SPLIT_SHARE = 0.05
"""Dense bins of a column are split only when the bins left undecided hold this share of its rows (below it,
re-reading them row by row costs less than another grouped count)."""


def summary(table: ir.Table, spec: Spec, grouped: bool) -> pd.DataFrame:
    """Rows, and per numeric column the minimum and maximum (NaN when the column holds a NaN)."""
    aggs: dict[str, Any] = {"rows": table.count()}
    for i, column in enumerate(spec.numeric):
        aggs[f"lo{i}"], aggs[f"hi{i}"] = table[column].min().cast("float64"), table[column].max().cast("float64")
    frame = fetch(table.group_by(GROUP).aggregate(**aggs) if grouped else table.aggregate(**aggs))
    return frame if grouped else frame.assign(**{GROUP: None})


@dataclass(frozen=True, slots=True)
class Grid:
    """Fine bins of one numeric column: ``floor((x - low) / width)`` clipped to ``[0, count - 1]``."""

    low: float
    width: float
    count: int

    def of(self, x: ir.FloatingValue) -> ir.IntegerValue:
        if self.width <= 0:
            return ibis.literal(0, "int64")
        # least/greatest, not clip: Ibis compiles clip to NULL-guarding CASEs that repeat the floor six times
        return ibis.least(ibis.greatest(((x - self.low) / self.width).floor(), 0), self.count - 1).cast("int64")


def grids(reference: ir.Table, current: ir.Table, spec: Spec, summaries: list[pd.DataFrame],
          groups: int) -> list[Grid]:
    """Equal-width fine bins over each numeric column's range in both tables (fewer when there are many groups)."""
    count = max(1024, min(spec.resolution, 2**18 // max(1, groups)))
    found_grids = []
    for i, column in enumerate(spec.numeric):
        lows = pd.concat([s[f"lo{i}"] for s in summaries]).astype(float)
        highs = pd.concat([s[f"hi{i}"] for s in summaries]).astype(float)
        if highs.isna().any() and not lows.isna().all():
            # a NaN (the largest float to DuckDB and Spark): ask again without NaN
            valid = [t.filter(present(t, column)) for t in (reference, current)]
            found = [v.aggregate(lo=v[column].min(), hi=v[column].max()).execute() for v in valid]
            lows, highs = pd.concat([f["lo"] for f in found]), pd.concat([f["hi"] for f in found])
        low, high = float(lows.min()), float(highs.max())
        width = (high - low) / count if high > low else 0.0
        found_grids.append(Grid(low if math.isfinite(low) else 0.0, width if math.isfinite(width) else 0.0, count))
    return found_grids


def _keyed(table: ir.Table, own: bool, layout: Layout, column: str, i: int, grid: Grid,
           split: ir.Table | None, span: tuple[float, float] | None) -> tuple[ir.Table, Any, Any, Any]:
    """The rows with a value in ``column`` (within ``span``), and expressions on them for the value ``x``, its
    bin ``key`` and the bin's edge ``e``. With ``split`` (bins ``b`` of column ``col`` with ``lo``, ``inv``,
    ``s``), only the rows of those bins, keyed by sub-bin ``floor((x - lo) * inv)``. As few relations as can
    be: building and compiling Ibis expressions costs more here than DuckDB running them."""
    mask = present(table, column)
    if span is not None:
        mask &= table[column].cast("float64").between(*span)
    base = table.filter(mask)
    x = base[column].cast("float64")
    rows = base.select(*layout.keys(own), x=x, b=grid.of(x))  # the bin once, not in each aggregate
    if split is None:
        return rows, rows.x, rows.b * SUB, grid.low + rows.b.cast("float64") * grid.width
    joined = rows.join(split.filter(split.col == i).select("b", "lo", "inv", "s"), "b")
    sub = ibis.least(ibis.greatest(((joined.x - joined.lo) * joined.inv).floor(), 0), joined.s - 1).cast("int64")
    return joined, joined.x, joined.b * SUB + sub, joined.lo + sub.cast("float64") / joined.inv


def _span(frame: pd.DataFrame) -> tuple[float, float]:
    return float(frame["low"].min()), float(frame["high"].max())


def _split_table(split: pd.DataFrame) -> ir.Table:
    return ibis.memtable(split[["col", "b", "lo", "inv", "s"]])


def histograms(reference: ir.Table, current: ir.Table, layout: Layout, spec: Spec, grid_of: list[Grid],
               split: pd.DataFrame | None = None) -> dict[tuple[Any, ...], pd.DataFrame]:
    """Per numeric column, side and group (the keys of the result) and bin: count, sum of ``x - edge`` (and of its
    square on the reference side), min and max; with ``split``, only the rows of the bins it lists, counted in
    their sub-bins. The edges are computed again here with the same two floating-point operations."""
    split_table = _split_table(split) if split is not None else None
    columns = range(len(spec.numeric)) if split is None else sorted(set(split["col"]))
    parts = []
    for side, table, own in layout.sides(reference, current):
        for i in columns:
            span = None if split is None else _span(split[split["col"] == i])
            rows, x, key, e = _keyed(table, own, layout, spec.numeric[i], i, grid_of[i], split_table, span)
            d = x - e
            keys = {GROUP: rows[GROUP] if own else ibis.null(layout.group_type)} if layout.grouped else {}
            parts.append(rows.group_by(**keys, key=key, col=ibis.literal(i, "int64"),
                                       side=ibis.literal(side, "int64")).aggregate(
                n=rows.count(), s1=d.sum(), s2=(d * d).sum() if side == 0 else ibis.literal(0.0), low=x.min(),
                high=x.max()))
    order = ["col", "side", *([GROUP] if layout.grouped else []), "key"]
    hist = execute(union(parts).order_by(order), layout)
    bins, sub = (hist["key"] // SUB).to_numpy(), (hist["key"] % SUB).to_numpy().astype(float)
    if split is None:
        low = np.array([grid.low for grid in grid_of])[hist["col"].to_numpy()]
        width = np.array([grid.width for grid in grid_of])[hist["col"].to_numpy()]
        hist["edge"] = low + bins.astype(float) * width
    else:
        found = hist[["col"]].assign(b=bins).merge(split, on=["col", "b"], how="left")
        hist["edge"] = found["lo"].to_numpy() + sub / found["inv"].to_numpy()
    return _blocks(hist, ["col", "side", GROUP])


def _blocks(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], pd.DataFrame]:
    """A frame sorted by ``keys``, cut into its blocks (slices, not copies) by their key values."""
    if frame.empty:
        return {}
    change = np.zeros(len(frame), dtype=bool)
    change[0] = True
    for key in keys:
        codes, _ = pd.factorize(frame[key])  # every NULL (None, NaN, NaT) the same code; no object copies
        change[1:] |= codes[1:] != codes[:-1]
    starts = np.flatnonzero(change)
    ends = [*starts[1:], len(frame)]
    heads = frame[keys].iloc[starts].itertuples(index=False, name=None)
    return {tuple(_plain(v) for v in value): frame.iloc[start:end]
            for value, start, end in zip(heads, starts, ends, strict=True)}


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, NULL (None, NaN, NaT) as None (so that block keys compare and hash as
    expected)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def exact_pass(reference: ir.Table, current: ir.Table, layout: Layout, spec: Spec, grid_of: list[Grid],
               split: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Row by row, only in the chosen bins: running counts over the union of both samples in value order."""
    split_table = _split_table(split)
    chosen_table = ibis.memtable(chosen[["col", *([GROUP] if layout.grouped else []), "key", "off_ref", "off_cur",
                                         "n_r", "n_c"]])
    parts = []
    for side, table, own in layout.sides(reference, current):
        for i in sorted(set(chosen["col"])):
            mine = split[split["col"] == i]
            rows, x, key, _ = _keyed(table, own, layout, spec.numeric[i], i, grid_of[i],
                                     split_table if (mine["s"] > 1).any() else None, _span(chosen[chosen["col"] == i]))
            bins = chosen_table.filter(chosen_table.col == i)
            # a reference without groups joins on the bin alone: its rows go to every group that chose the bin
            on = [key == bins.key, *([rows[GROUP] == bins[GROUP]] if own and layout.grouped else [])]
            joined = rows.join(bins, on)
            parts.append(joined.select(*([bins[GROUP]] if layout.grouped else []), col=bins.col, x=x, key=bins.key,
                                       off_ref=bins.off_ref, off_cur=bins.off_cur, n_r=bins.n_r, n_c=bins.n_c,
                                       is_r=ibis.literal(1 - side, "int64"), is_c=ibis.literal(side, "int64")))
    return _running(union(parts), layout, spec.bins)


def _running(rows: ir.Table, layout: Layout, bins: int) -> pd.DataFrame:
    """Running counts of both samples in value order per column and group (ties together), and per chosen bin
    and PSI level: extremes of ``R n_cur - C n_ref``, the integral of ``|F_ref - F_cur|``, the first value."""
    keys = [rows.col, *([rows[GROUP]] if layout.grouped else [])]
    running = ibis.range_window(group_by=keys, order_by=rows.x, preceding=None, following=0)
    ordered = ibis.window(group_by=keys, order_by=rows.x)
    rows = rows.mutate(r=rows.off_ref + rows.is_r.sum().over(running), c=rows.off_cur + rows.is_c.sum().over(running),
                       nx=rows.x.lead().over(ordered), nk=rows.key.lead().over(ordered))
    rows = rows.mutate(level=((rows.r * bins) / rows.n_r).floor().cast("int64"),
                       diff=rows.r * rows.n_c - rows.c * rows.n_r,
                       gap=(rows.nk == rows.key).ifelse(
                           (rows.nx - rows.x) * (rows.r / rows.n_r - rows.c / rows.n_c).abs(), 0.0))
    return execute(rows.group_by(layout.keys(layout.grouped, "col", "key", "level")).aggregate(
        dmax=rows["diff"].max(), dmin=rows["diff"].min(), w_in=rows.gap.sum(), x0=rows.x.min(), r0=rows.r.min(),
        c0=rows.c.min()), layout).rename(columns={"key": "b"})


def category_counts(reference: ir.Table, current: ir.Table, layout: Layout, spec: Spec) -> pd.DataFrame:
    """Counts per column, group, side and value, the values beyond the most frequent ones as NULL (other)."""
    parts = []
    for side, table, own in layout.sides(reference, current):
        for i, column in enumerate(spec.categorical):
            value = table[column].cast("string")
            base = table.filter(value.notnull()).select(*layout.keys(own), value=value)
            counts = base.group_by(layout.keys(own, "value")).aggregate(n=base.count())
            parts.append(layout.finish(counts, own, "value", "n", col=ibis.literal(i, "int64"),
                                       side=ibis.literal(side, "int64")))
    both = union(parts)
    both = both.mutate(total=both.n.sum().over(ibis.window(group_by=[both.col, both.value])))
    rank = ibis.dense_rank().over(ibis.window(group_by=both.col, order_by=[both.total.desc(), both.value]))
    both = both.mutate(value=(rank < spec.max_categories).ifelse(both.value, ibis.null("string")))
    keys = layout.keys(layout.grouped, "col", "side", "value")
    return execute(both.group_by(keys).aggregate(n=both.n.sum()), layout)
