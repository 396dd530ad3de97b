"""Two CDFs from fine bins: the Kolmogorov-Smirnov statistic, the Wasserstein-1 distance and PSI over
reference quantiles, from per-bin counts and sums plus an exact pass over the few bins where bounds do not decide.

The engine (:mod:`answerkey.monitoring.drift`) counts each numeric column into equal-width fine bins;
:func:`scan_bins` bounds ``|F_ref - F_cur|`` inside each bin and says which bins must be read again row by row
(:func:`split_dense` first splits the dense ones into sub-bins); :func:`finish_numeric` combines the bounds with
that exact pass. The KS statistic ``max |F_ref - F_cur|`` is the number ``scipy.stats.ks_2samp`` gives on the raw
rows; the Wasserstein-1 distance ``integral |F_ref - F_cur| dx`` is ``scipy.stats.wasserstein_distance``'s to
within a stated bound (exact with a budget of 0). Divergences and p-values are those of
:mod:`answerkey.monitoring.drift_stats`.

References
----------
Chan, T. F., Golub, G. H. & LeVeque, R. J. (1983). Algorithms for computing the sample variance. The American
Statistician 37, 242-247.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.monitoring.drift_stats import jensen_shannon, ks_pvalue, psi

__all__ = [
    "BinScan",
    "NumericStats",
    "binned_std",
    "finish_numeric",
    "replace_bins",
    "scan_bins",
    "split_dense",
    "split_of",
]


def binned_std(counts: np.ndarray, edges: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> float:
    """Population standard deviation from per-bin ``n``, ``edge``, ``sum(x - edge)`` and ``sum((x - edge)^2)``.

    Bins are combined as in Chan, Golub & LeVeque's parallel variance, so values far from 0 lose no precision.

    >>> binned_std(np.array([2, 1]), np.array([0.0, 2.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    1.247219128924647
    """
    mask = counts > 0
    n, edge, s1, s2 = counts[mask].astype(float), edges[mask], sums[mask], squares[mask]
    if n.sum() == 0:
        return math.nan
    means = edge + s1 / n
    mean = float((n * means).sum() / n.sum())
    m2 = float((np.maximum(s2 - s1 * s1 / n, 0.0) + n * (means - mean) ** 2).sum())
    return math.sqrt(m2 / n.sum())


@dataclass(frozen=True, slots=True)
class BinScan:
    """What fine bins of two samples decide about their CDFs, and which bins need the exact pass.

    ``bins`` is the fine-bin table (``b``, ``n_ref``, ``n_cur``, ``sum_ref`` and ``sum_cur`` (sums of
    ``x - edge``), ``edge``, ``low`` and ``high`` (the bin's smallest and largest value in either sample),
    sorted by ``b``) with cumulative counts ``r_before``/``c_before``. ``exact`` lists the bins to re-read row
    by row: their offsets (``off_ref``, ``off_cur``) that turn running counts over those bins alone into counts
    over the whole sample, their counts, ``low`` and ``high``. ``levels`` holds, per PSI level k/bins, the
    position of the bin where the reference CDF reaches it. ``w_known`` is the Wasserstein distance outside the
    bins read again, within ``w_bound``. ``ks_upper`` bounds ``|R n_cur - C n_ref|`` inside the bins not read again
    (at most ``ks_lower`` when every bin that could hold the maximum is read).
    """

    bins: pd.DataFrame
    exact: pd.DataFrame
    levels: np.ndarray
    n_ref: int
    n_cur: int
    ks_lower: int
    ks_upper: int
    w_known: float
    w_bound: float


def scan_bins(bins: pd.DataFrame, psi_bins: int, w_budget: float = 0.0, cdf_budget: float = 0.0) -> BinScan:
    """Bound ``|F_ref - F_cur|`` inside each fine bin and keep only the bins where the bounds do not decide.

    Let ``d`` be ``F_ref - F_cur`` just before a bin and ``m_ref``, ``m_cur`` the bin's shares: inside the bin
    ``d`` stays in ``[d - m_cur, d + m_ref]``. The KS statistic is at least ``max |d|`` at the bins' last values;
    a bin whose upper bound does not exceed that cannot hold the maximum. KS works in integers:
    ``D * n_ref * n_cur = max |R n_cur - C n_ref|``. Bins that may hold the maximum, and bins where the
    reference CDF crosses a PSI level, are read again row by row (a bin of a single value never needs it).

    Where ``d`` keeps one sign through a bin, ``integral |F_ref - F_cur|`` over it follows exactly from the
    bin's counts and sums of values. Where it may change sign, the integral lies between ``|integral d|`` and
    that plus ``2 * width * min(d + m_ref, m_cur - d)``: the middle is used, and the bins with the widest such
    brackets are read row by row until the brackets left add up to at most ``w_budget`` (0: every such bin,
    for the exact distance).

    ``cdf_budget`` (a share, 0 for exact) lets the bounds stand where they are close enough: a bin is read again
    for KS only when its upper bound exceeds ``ks_lower`` by more than ``cdf_budget``, and for a PSI level only
    when it holds more than ``cdf_budget`` of the reference (else the level's edge is the bin's largest value).
    """
    table = bins.sort_values("b").reset_index(drop=True)
    n_ref, n_cur = int(table["n_ref"].sum()), int(table["n_cur"].sum())
    scale = n_ref * n_cur
    cum_r, cum_c = table["n_ref"].cumsum().to_numpy(np.int64), table["n_cur"].cumsum().to_numpy(np.int64)
    table["r_before"], table["c_before"] = cum_r - table["n_ref"].to_numpy(), cum_c - table["n_cur"].to_numpy()
    after = cum_r * n_cur - cum_c * n_ref
    before = after - table["n_ref"].to_numpy() * n_cur + table["n_cur"].to_numpy() * n_ref
    up = before + table["n_ref"].to_numpy() * n_cur
    down = before - table["n_cur"].to_numpy() * n_ref
    ks_lower = int(np.abs(after).max()) if len(table) else 0
    single = (table["low"] == table["high"]).to_numpy()
    levels = np.searchsorted(cum_r * psi_bins, np.arange(1, psi_bins) * n_ref, side="left")
    at_level = np.zeros(len(table), dtype=bool)
    at_level[levels] = True
    reach = np.maximum(np.abs(up), np.abs(down))
    heavy = table["n_ref"].to_numpy() > cdf_budget * n_ref
    exact = ~single & ((reach > ks_lower + cdf_budget * scale) | (at_level & heavy))

    width = (table["high"] - table["low"]).to_numpy()
    inside = np.abs(width * before / scale
                    + (table["n_ref"] * (table["high"] - table["edge"]) - table["sum_ref"]).to_numpy() / n_ref
                    - (table["n_cur"] * (table["high"] - table["edge"]) - table["sum_cur"]).to_numpy() / n_cur)
    bracket = np.where(~single & (down < 0) & (up > 0), width * np.minimum(up, -down) / scale, 0.0)
    open_bins = np.flatnonzero(~exact & (bracket > 0))
    by_width = open_bins[np.argsort(-bracket[open_bins], kind="stable")]
    left = np.cumsum(bracket[by_width][::-1])[::-1]  # brackets still open if reading stops before each bin
    exact[by_width[left > w_budget]] = True
    gaps = (table["low"].to_numpy()[1:] - table["high"].to_numpy()[:-1]) * np.abs(after[:-1]) / scale
    w_known = float((inside + bracket)[~exact].sum() + gaps.sum())
    w_bound = float(bracket[~exact].sum())
    ks_upper = int(reach[~exact & ~single].max(initial=ks_lower))

    chosen = table.loc[exact, ["b", "n_ref", "n_cur", "r_before", "c_before", "low", "high"]]
    offsets = chosen.assign(off_ref=chosen["r_before"] - (chosen["n_ref"].cumsum() - chosen["n_ref"]),
                            off_cur=chosen["c_before"] - (chosen["n_cur"].cumsum() - chosen["n_cur"]))
    columns = ["b", "off_ref", "off_cur", "n_ref", "n_cur", "low", "high"]
    return BinScan(table, offsets[columns].reset_index(drop=True), levels, n_ref, n_cur, ks_lower, ks_upper, w_known,
                   w_bound)


def split_dense(scans: Mapping[tuple[int, Any], BinScan], most: int, per_bin: int,
                grids: Sequence[tuple[float, float]], min_share: float = 0.0) -> pd.DataFrame:
    """How to split each column's undecided fine bins: into ``s`` equal sub-bins, ``s`` proportional to the bin's
    share of the rows (``per_bin`` sub-bins for the whole sample, at most ``most`` for one bin).

    Equal-width fine bins are dense where the data are (a lognormal's mode holds hundreds of times the
    average); splitting only the bins the scan could not decide keeps the row-by-row pass small for any shape.
    A column whose undecided bins hold less than ``min_share`` of its rows (in every group) is left whole.
    Returns ``col``, ``b`` (the fine bin), ``lo`` (its left edge), ``inv`` (``s / width``), ``s`` and the
    smallest and largest value in it (``low``, ``high``); keys of sub-bins are ``b * most + floor((x - lo) * inv)``.
    """
    parts, dense = [], set()
    for (i, _group), scan in scans.items():
        if len(scan.exact):
            share = (scan.exact["n_ref"] / scan.n_ref + scan.exact["n_cur"] / scan.n_cur) / 2
            if share.sum() >= min_share:
                dense.add(i)
            parts.append(pd.DataFrame({"col": i, "b": scan.exact["b"] // most, "low": scan.exact["low"],
                                       "high": scan.exact["high"],
                                       "s": np.clip(np.ceil(share * per_bin), 1, most).astype(np.int64)}))
    if not parts:
        return pd.DataFrame({"col": [], "b": [], "lo": [], "inv": [], "s": [], "low": [], "high": []})
    split = pd.concat(parts).groupby(["col", "b"], as_index=False).agg(s=("s", "max"), low=("low", "min"),
                                                                        high=("high", "max"))
    split.loc[~split["col"].isin(dense), "s"] = 1
    low = np.array([grids[i][0] for i in split["col"]])
    width = np.array([grids[i][1] for i in split["col"]])
    return split.assign(lo=low + split["b"].astype(float) * width, inv=split["s"] / width)


def replace_bins(table: pd.DataFrame, finer: pd.DataFrame, split: set[int], most: int) -> pd.DataFrame:
    """The bin table with the fine bins in ``split`` replaced by their sub-bins (``finer``)."""
    kept = table[~(table["b"] // most).isin(split)]
    return pd.concat([kept, finer]).sort_values("b", ignore_index=True)


def split_of(keys: pd.DataFrame, split: pd.DataFrame, most: int,
             grids: Sequence[tuple[float, float]]) -> pd.DataFrame:
    """The split (``s = 1`` for bins left whole) of every fine bin the chosen ``keys`` lie in.

    A bin the first scan left alone may be chosen after the dense bins were split (a finer table moves the
    KS bound): it is not in ``split`` and comes back whole, so that the exact pass reads all of its rows.
    """
    wanted = keys[["col", "key"]].assign(b=keys["key"] // most)[["col", "b"]].drop_duplicates()
    found = wanted.merge(split, on=["col", "b"], how="left", validate="one_to_one")
    whole = found["s"].isna().to_numpy()
    if whole.any():
        low = np.array([grids[i][0] for i in found.loc[whole, "col"]])
        width = np.array([grids[i][1] for i in found.loc[whole, "col"]])
        found.loc[whole, "lo"] = low + found.loc[whole, "b"].to_numpy(float) * width
        found.loc[whole, "inv"] = np.divide(1.0, width, out=np.zeros_like(width), where=width > 0)
        found.loc[whole, "s"] = 1
    return found.astype({"s": np.int64})


@dataclass(frozen=True, slots=True)
class NumericStats:
    """The drift statistics of one numeric column between two samples (see the module docstring)."""

    n_reference: int
    n_current: int
    ks: float
    ks_bound: float
    ks_p_value: float
    ks_p_method: str
    wasserstein: float
    wasserstein_normalised: float
    wasserstein_bound: float
    psi: float
    jensen_shannon: float
    edges: tuple[float, ...]
    reference_counts: tuple[int, ...]
    current_counts: tuple[int, ...]


def finish_numeric(scan: BinScan, exact: pd.DataFrame, reference_std: float) -> NumericStats:
    """Combine the bounds of :func:`scan_bins` with the exact pass over its chosen bins.

    ``exact`` has one row per chosen bin ``b`` and PSI level ``level`` (``floor(R * bins / n_ref)`` of the rows,
    ``R`` the reference's running count): ``dmax``/``dmin``, the extremes of ``R n_cur - C n_ref``; ``w_in``,
    the integral of ``|F_ref - F_cur|`` between consecutive values of the bin; ``x0``, ``r0``, ``c0``, the
    smallest value and both running counts there. The PSI edge of level k is the ``x0`` of the lowest level
    >= k in the bin where the reference CDF reaches k / bins (the bin's largest value when it was not read
    again). The KS statistic is at most ``ks_bound`` below the true one (0 when exact). The Wasserstein distance
    (within ``wasserstein_bound``, 0 when exact) is normalised by the reference's population standard deviation
    (infinite for a constant reference that moved, 0 if not).
    """
    bins = scan.bins
    ks_num = scan.ks_lower
    if len(exact):
        ks_num = max(ks_num, int(np.abs(exact["dmax"].to_numpy(np.int64)).max()),
                     int(np.abs(exact["dmin"].to_numpy(np.int64)).max()))
    ks = ks_num / (scan.n_ref * scan.n_cur)
    ks_bound = max(0, scan.ks_upper - ks_num) / (scan.n_ref * scan.n_cur)
    read = set(scan.exact["b"].tolist())
    wasserstein = scan.w_known + (float(exact["w_in"].sum()) if len(exact) else 0.0)
    edges, ref_at, cur_at = [], [], []
    for k, position in enumerate(scan.levels, start=1):
        row = bins.iloc[position]
        if row["b"] not in read:  # a single value, or a light bin left to its bounds (cdf_budget)
            edges.append(float(row["high"]))
            ref_at.append(int(row["r_before"] + row["n_ref"]))
            cur_at.append(int(row["c_before"] + row["n_cur"]))
            continue
        found = exact[(exact["b"] == row["b"]) & (exact["level"] >= k)].sort_values("level").iloc[0]
        edges.append(float(found["x0"]))
        ref_at.append(int(found["r0"]))
        cur_at.append(int(found["c0"]))
    unique = [i for i in range(len(edges)) if i == len(edges) - 1 or edges[i] != edges[i + 1]]
    ref_counts = np.diff([0, *(ref_at[i] for i in unique), scan.n_ref])
    cur_counts = np.diff([0, *(cur_at[i] for i in unique), scan.n_cur])
    p_value, p_method = ks_pvalue(ks, scan.n_ref, scan.n_cur)
    normalised = wasserstein / reference_std if reference_std > 0 else math.inf if wasserstein > 0 else 0.0
    return NumericStats(scan.n_ref, scan.n_cur, ks, ks_bound, p_value, p_method, wasserstein, normalised, scan.w_bound,
                        psi(ref_counts, cur_counts), jensen_shannon(ref_counts, cur_counts),
                        tuple(edges[i] for i in unique), tuple(int(c) for c in ref_counts),
                        tuple(int(c) for c in cur_counts))
