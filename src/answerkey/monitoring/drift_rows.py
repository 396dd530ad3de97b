"""From the engine's bins and counts to drift result rows: one row per column (and group), with the deciding
method, its effect size and threshold, the p-value, ``drifted`` and every statistic in ``details``.

:func:`compare` runs the passes of :mod:`~answerkey.monitoring.drift_histograms` for a :class:`Spec` and
:class:`Layout`, finishes the numeric statistics with :mod:`~answerkey.monitoring.drift_bins` and the
categorical ones with :mod:`~answerkey.monitoring.drift_stats`, and returns the frame that
:func:`~answerkey.monitoring.drift.column_drift` and :func:`~answerkey.monitoring.drift.window_drift` shape.
Shared within the package, not part of its API.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring import drift_bins as bins_
from answerkey.monitoring import drift_stats as ds
from answerkey.monitoring.drift_histograms import (
    SPLIT_SHARE,
    SUB,
    category_counts,
    exact_pass,
    grids,
    histograms,
    summary,
)
from answerkey.monitoring.drift_plan import GROUP, SMALL_SAMPLE, Layout, Spec

__all__ = ["OTHER", "RESULT_COLUMNS", "compare"]

RESULT_COLUMNS = ("column", "role", "kind", "method", "statistic", "effect_size", "threshold", "p_value",
                  "drifted", "n_reference", "n_current", "details")
OTHER = "(other)"
"""The category that stands for the values beyond the ``max_categories`` most frequent ones."""


def compare(reference: ir.Table, current: ir.Table, layout: Layout, spec: Spec) -> pd.DataFrame:
    """Rows of :data:`RESULT_COLUMNS` with the group key (:data:`GROUP`, NULL without groups) after ``column``,
    ordered by group and then column as the spec lists them."""
    summaries = [summary(reference, spec, layout.ref_grouped), summary(current, spec, layout.cur_grouped)]
    for name, found in zip(("reference", "current"), summaries, strict=True):
        if int(found["rows"].sum()) == 0:
            raise ParameterError.invalid(name, "a table with at least one row", "an empty table")
    groups = sorted({g for s, own in zip(summaries, (layout.ref_grouped, layout.cur_grouped), strict=True) if own
                     for g in s[GROUP]}) if layout.grouped else [None]
    rows_of = {(side, g): int(n) for side, s in enumerate(summaries) for g, n in zip(s[GROUP], s["rows"], strict=True)}
    n_rows = {g: (rows_of.get((0, g if layout.ref_grouped else None), 0),
                  rows_of.get((1, g if layout.cur_grouped else None), 0)) for g in groups}
    rows: list[dict[str, Any]] = []
    if spec.numeric:
        rows += _numeric_rows(reference, current, layout, spec, summaries, groups, n_rows)
    if spec.categorical:
        counts = category_counts(reference, current, layout, spec)
        rows += _categorical_rows(counts, layout, spec, groups, n_rows)
    frame = pd.DataFrame(rows, columns=[*RESULT_COLUMNS, GROUP])
    order = {c: i for i, c in enumerate((*spec.numeric, *spec.categorical))}
    frame = frame.assign(_order=frame["column"].map(order)).sort_values([GROUP, "_order"], kind="stable")
    return frame.reset_index(drop=True)[[*RESULT_COLUMNS[:1], GROUP, *RESULT_COLUMNS[1:]]]


def _row(spec: Spec, column: str, group: Any, kind: str, method: str, statistic: float, effect: float,
         p_value: float, n_ref: int, n_cur: int, details: dict[str, Any]) -> dict[str, Any]:
    threshold = spec.thresholds[method]
    drifted = bool(effect > threshold and p_value < spec.alpha)
    return {"column": column, "role": spec.roles.get(column, "feature"), "kind": kind, "method": method,
            "statistic": statistic, "effect_size": effect, "threshold": threshold, "p_value": p_value,
            "drifted": drifted, "n_reference": n_ref, "n_current": n_cur, "details": details, GROUP: group}


def _undefined(spec: Spec, column: str, group: Any, kind: str, n_ref: int, n_cur: int) -> dict[str, Any]:
    side = "reference" if n_ref == 0 else "current"
    where = "" if group is None else f" in {group}"
    # stacklevel 5: _undefined, _numeric_rows or _categorical_rows, compare, the public function, its caller
    warnings.warn(f"drift of {column!r}{where} is undefined: no values on the {side} side; NaN returned",
                  RuntimeWarning, stacklevel=5)
    method = (spec.numeric_method or "wasserstein") if kind == "numeric" else spec.categorical_method
    return _row(spec, column, group, kind, method, math.nan, math.nan, math.nan, n_ref, n_cur,
                {"note": f"no values on the {side} side"})


def _numeric_rows(reference: ir.Table, current: ir.Table, layout: Layout, spec: Spec,
                  summaries: list[pd.DataFrame], groups: list[Any],
                  n_rows: Mapping[Any, tuple[int, int]]) -> list[dict[str, Any]]:
    """Fine bins; dense undecided bins split into sub-bins by their mass; an exact pass over what stays
    undecided; then the statistics of every column and group."""
    grid_of = grids(reference, current, spec, summaries, len(groups))
    hist = histograms(reference, current, layout, spec, grid_of)
    pairs = [(i, g) for i in range(len(spec.numeric)) for g in groups]
    tables = {pair: table for pair in pairs if (table := _bin_table(layout, hist, *pair)) is not None}
    stds = {pair: bins_.binned_std(*(table[c].to_numpy() for c in ("n_ref", "edge", "sum_ref", "sq_ref")))
            for pair, table in tables.items()}

    def scan(pair: tuple[int, Any]) -> bins_.BinScan:
        budget = spec.wasserstein_tolerance * stds[pair] if math.isfinite(stds[pair]) else 0.0
        return bins_.scan_bins(tables[pair], spec.bins, budget, spec.cdf_tolerance)

    scans = {pair: scan(pair) for pair in tables}
    # sub-bins of about a quarter of the CDF tolerance need no row pass; exact statistics want them fine
    per_bin = 2 * spec.resolution if spec.cdf_tolerance == 0 else min(2 * spec.resolution,
                                                                       math.ceil(4 / spec.cdf_tolerance))
    split = bins_.split_dense(scans, SUB, per_bin, [(g.low, g.width) for g in grid_of], SPLIT_SHARE)
    if len(split[split["s"] > 1]):
        finer = histograms(reference, current, layout, spec, grid_of, split[split["s"] > 1])
        for pair in scans:
            table = _bin_table(layout, finer, *pair, either=True)
            if table is not None:
                mine = split[(split["col"] == pair[0]) & (split["s"] > 1)]
                tables[pair] = bins_.replace_bins(tables[pair], table, set(mine["b"]), SUB)
                scans[pair] = scan(pair)
    chosen = [scan.exact.assign(col=i, **{GROUP: g, "n_r": scan.n_ref, "n_c": scan.n_cur}).rename(columns={"b": "key"})
              for (i, g), scan in scans.items() if len(scan.exact)]
    exact = pd.DataFrame()
    if chosen:
        keys = pd.concat(chosen)
        whole = bins_.split_of(keys, split, SUB, [(g.low, g.width) for g in grid_of])
        exact = exact_pass(reference, current, layout, spec, grid_of, whole, keys)
    by_pair: dict[tuple[int, Any], pd.DataFrame] = {}
    if len(exact):
        parts = exact.groupby(["col", GROUP]) if layout.grouped else exact.groupby(["col", exact["col"] * 0])
        by_pair = {(int(key[0]), key[1] if layout.grouped else None): part  # type: ignore[call-overload]
                   for key, part in parts}
    rows = []
    for i, g in pairs:
        column = spec.numeric[i]
        if (i, g) not in scans:
            blocks = [hist.get((i, side, g if own else None)) for side, own in enumerate(layout.sides_grouped)]
            counted = [0 if block is None else int(block["n"].sum()) for block in blocks]
            rows.append(_undefined(spec, column, g, "numeric", *counted))
            continue
        stats = bins_.finish_numeric(scans[(i, g)], by_pair.get((i, g), exact.iloc[:0]), stds[(i, g)])
        rows.append(_numeric_row(spec, column, g, stats, stds[(i, g)], n_rows[g]))
    return rows


def _bin_table(layout: Layout, hist: Mapping[tuple[Any, ...], pd.DataFrame], i: int, g: Any,
               either: bool = False) -> pd.DataFrame | None:
    """Both samples' bins of one column and group side by side (the table ``scan_bins`` reads); None when a
    side (``either``: both sides) has no values."""
    empty = pd.DataFrame({"key": [], "n": [], "s1": [], "s2": [], "edge": [], "low": [], "high": []})
    ref = hist.get((i, 0, g if layout.ref_grouped else None), empty)
    cur = hist.get((i, 1, g if layout.cur_grouped else None), empty)
    if (ref.empty and cur.empty) if either else (ref.empty or cur.empty):
        return None
    keys = np.union1d(ref["key"].to_numpy(), cur["key"].to_numpy())
    at_ref, at_cur = np.searchsorted(keys, ref["key"].to_numpy()), np.searchsorted(keys, cur["key"].to_numpy())
    columns: dict[str, np.ndarray] = {"b": keys}
    for name, source in (("n", "n"), ("sum", "s1"), ("sq", "s2")):
        for side, frame, at in (("ref", ref, at_ref), ("cur", cur, at_cur)):
            values = np.zeros(len(keys), dtype=np.int64 if name == "n" else float)
            values[at] = frame[source].to_numpy()
            columns[f"{name}_{side}"] = values
    edge, low, high = np.empty(len(keys)), np.full(len(keys), np.inf), np.full(len(keys), -np.inf)
    for frame, at in ((ref, at_ref), (cur, at_cur)):
        edge[at] = frame["edge"].to_numpy()
        low[at] = np.minimum(low[at], frame["low"].to_numpy())
        high[at] = np.maximum(high[at], frame["high"].to_numpy())
    return pd.DataFrame({**columns, "edge": edge, "low": low, "high": high})


def _numeric_row(spec: Spec, column: str, g: Any, stats: bins_.NumericStats, std: float,
                 n_rows: tuple[int, int]) -> dict[str, Any]:
    method = spec.numeric_method or ("ks" if min(stats.n_reference, stats.n_current) < SMALL_SAMPLE
                                     else "wasserstein")
    effects = {"wasserstein": stats.wasserstein_normalised, "ks": stats.ks, "psi": stats.psi,
               "jensen_shannon": stats.jensen_shannon}
    details = {
        "effects": effects, "ks": stats.ks, "ks_bound": stats.ks_bound, "ks_p_value": stats.ks_p_value,
        "ks_p_method": stats.ks_p_method,
        "wasserstein": stats.wasserstein, "wasserstein_normalised": stats.wasserstein_normalised,
        "wasserstein_bound": stats.wasserstein_bound, "reference_std": std, "psi": stats.psi,
        "jensen_shannon": stats.jensen_shannon,
        "psi_edges": list(stats.edges), "reference_counts": list(stats.reference_counts),
        "current_counts": list(stats.current_counts),
        **_missing_and_bases(n_rows, stats.n_reference, stats.n_current)}
    statistic = stats.wasserstein if method == "wasserstein" else effects[method]
    return _row(spec, column, g, "numeric", method, statistic, effects[method], stats.ks_p_value,
                stats.n_reference, stats.n_current, details)


def _missing_and_bases(n_rows: tuple[int, int], n_ref: int, n_cur: int) -> dict[str, Any]:
    """The last entries of every ``details``: each side's share of rows without a value, and the log bases."""

    def share(part: int, whole: int) -> float:
        return part / whole if whole else math.nan

    return {"reference_missing": share(n_rows[0] - n_ref, n_rows[0]),
            "current_missing": share(n_rows[1] - n_cur, n_rows[1]),
            "log_base": {"psi": "e", "jensen_shannon": 2}}


def _categorical_rows(counts: pd.DataFrame, layout: Layout, spec: Spec, groups: list[Any],
                      n_rows: Mapping[Any, tuple[int, int]]) -> list[dict[str, Any]]:
    counts = counts.assign(value=counts["value"].astype(object).where(counts["value"].notna(), None))
    rows = []
    for i, column in enumerate(spec.categorical):
        mine = counts[counts["col"] == i]
        for g in groups:
            ref, cur = layout.pick(mine, 0, g), layout.pick(mine, 1, g)
            ref_n = dict(zip(ref["value"], ref["n"].astype(int), strict=True))
            cur_n = dict(zip(cur["value"], cur["n"].astype(int), strict=True))
            n_ref, n_cur = sum(ref_n.values()), sum(cur_n.values())
            if n_ref == 0 or n_cur == 0:
                rows.append(_undefined(spec, column, g, "categorical", n_ref, n_cur))
                continue
            values = sorted(set(ref_n) | set(cur_n), key=lambda v: (v is None, -ref_n.get(v, 0), str(v)))
            r = np.array([ref_n.get(v, 0) for v in values])
            c = np.array([cur_n.get(v, 0) for v in values])
            test = ds.chi_square(r, c)
            effects = {"chi_square": test.cramers_v, "psi": ds.psi(r, c), "jensen_shannon": ds.jensen_shannon(r, c)}
            method = spec.categorical_method
            details = {
                "effects": effects, "chi_square": test.statistic, "dof": test.dof, "p_value": test.p_value,
                "cramers_v": test.cramers_v, "psi": effects["psi"], "jensen_shannon": effects["jensen_shannon"],
                "categories": [OTHER if v is None else v for v in values], "reference_counts": r.tolist(),
                "current_counts": c.tolist(),
                "new_categories": [v for v in values if v is not None and v not in ref_n],
                "vanished_categories": [v for v in values if v is not None and v not in cur_n],
                **_missing_and_bases(n_rows[g], n_ref, n_cur)}
            statistic = test.statistic if method == "chi_square" else effects[method]
            rows.append(_row(spec, column, g, "categorical", method, statistic, effects[method], test.p_value,
                             n_ref, n_cur, details))
    return rows
