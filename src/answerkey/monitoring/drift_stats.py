"""Drift statistics on small, already-aggregated data: bin counts, category counts, summaries of two CDFs.

The engine (:mod:`answerkey.monitoring.drift`) reduces two large tables to a few thousand numbers per column;
everything here works on those numbers with numpy and scipy, and is what the tests pin to scipy and to hand
computations.

Divergences and their log bases:

- PSI (population stability index), natural log: ``sum((c - r) * ln(c / r))`` over bins, a share of 0 replaced
  by :data:`PSI_EPSILON` (as Evidently does) so that an empty bin gives a large but finite value.
- Jensen-Shannon *distance*, log base 2: the square root of the JS divergence, so it lies in [0, 1]
  (``scipy.spatial.distance.jensenshannon(p, q, base=2)``); empty bins need no epsilon.

The CDF statistics come from fine bins plus an exact pass over the few bins where bounds do not decide
(:func:`scan_bins`, :func:`finish_numeric`): the Kolmogorov-Smirnov statistic ``max |F_ref - F_cur|`` is the
number ``scipy.stats.ks_2samp`` gives on the raw rows; the Wasserstein-1 distance ``integral |F_ref - F_cur| dx``
is ``scipy.stats.wasserstein_distance``'s to within a stated bound (exact with a budget of 0).

References
----------
Hodges, J. L. (1958). The significance probability of the Smirnov two-sample test. Arkiv för Matematik 3, 469-486.
Stephens, M. A. (1970). Use of the Kolmogorov-Smirnov, Cramér-von Mises and related statistics without extensive
tables. Journal of the Royal Statistical Society B 32, 115-122.
Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Transactions on Information Theory 37,
145-151.
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

from answerkey.errors import ParameterError

__all__ = [
    "KS_EXACT_MAX_PRODUCT",
    "KS_KSTWO_MAX_EN",
    "PSI_EPSILON",
    "BinScan",
    "ChiSquare",
    "DomainClassifier",
    "NumericStats",
    "alert_band",
    "binned_std",
    "chi_square",
    "classify_domains",
    "finish_numeric",
    "jensen_shannon",
    "ks_pvalue",
    "psi",
    "replace_bins",
    "scan_bins",
    "split_dense",
    "split_of",
]

PSI_EPSILON = 1e-4
"""The share that replaces an empty bin's 0 in PSI (Evidently uses the same 0.0001)."""

KS_EXACT_MAX_PRODUCT = 1_000_000
"""The KS p-value is exact (lattice paths, as scipy's ``method="exact"``) when ``n_ref * n_cur`` is at most this
(exact costs O(n_ref * n_cur)); see :func:`ks_pvalue`."""
KS_KSTWO_MAX_EN = 10_000
"""Up to this ``n_ref n_cur / (n_ref + n_cur)`` the KS p-value is scipy's ``kstwo`` (as ``ks_2samp`` with
``method="asymp"``); above it, the limiting distribution with Stephens' correction."""


def _shares(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    values = np.asarray(counts, dtype=float)
    total = values.sum()
    return values / total if total > 0 else np.full(values.shape, np.nan)


def psi(reference_counts: Sequence[float] | np.ndarray, current_counts: Sequence[float] | np.ndarray, *,
        epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of two histograms over the same bins (natural log).

    >>> round(psi([50, 50], [40, 60]), 6)
    0.040547
    """
    ref = np.maximum(_shares(reference_counts), epsilon)
    cur = np.maximum(_shares(current_counts), epsilon)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def jensen_shannon(reference_counts: Sequence[float] | np.ndarray,
                   current_counts: Sequence[float] | np.ndarray) -> float:
    """Jensen-Shannon distance (log base 2, in [0, 1]) of two histograms over the same bins.

    >>> jensen_shannon([1, 0], [0, 1])
    1.0
    """
    ref, cur = _shares(reference_counts), _shares(current_counts)
    mid = (ref + cur) / 2

    def kl(p: np.ndarray) -> float:
        mask = p > 0
        return float(np.sum(p[mask] * np.log2(p[mask] / mid[mask])))

    return math.sqrt(max(0.0, (kl(ref) + kl(cur)) / 2))


def _ks_exact_sf(h: int, n1: int, n2: int) -> float:
    """P(D >= h / (n1 n2)) under H0 for samples of n1 and n2 without ties: 1 - the share of the C(n1+n2, n1)
    lattice paths that keep |i n2 - j n1| < h at every step (Hodges 1958). Rows are rescaled to stay finite."""
    if n1 > n2:
        n1, n2 = n2, n1
    row = np.zeros(n2 + 1)
    row[0] = 1.0
    log_scale = 0.0
    for i in range(n1 + 1):
        low = max(0, (i * n2 - h) // n1 + 1)
        high = min(n2, -((-(i * n2 + h)) // n1) - 1)
        new = np.zeros(n2 + 1)
        if low <= high:
            new[low:high + 1] = np.cumsum(row[low:high + 1])
        peak = new.max()
        if peak <= 0:
            return 1.0
        row = new / peak
        log_scale += math.log(peak)
    log_paths = math.lgamma(n1 + n2 + 1) - math.lgamma(n1 + 1) - math.lgamma(n2 + 1)
    log_inside = math.log(row[n2]) + log_scale - log_paths
    return float(min(1.0, max(0.0, -math.expm1(log_inside))))


def ks_pvalue(statistic: float, n_reference: int, n_current: int) -> tuple[float, str]:
    """Two-sided p-value of the two-sample KS statistic, and how it was computed.

    With ``en = n1 n2 / (n1 + n2)``:

    - ``"exact"`` when ``n1 * n2 <= KS_EXACT_MAX_PRODUCT``: lattice paths, as ``ks_2samp(method="exact")``;
    - ``"asymptotic"`` when ``en <= KS_KSTWO_MAX_EN``: ``scipy.stats.kstwo.sf(D, round(en))``, as
      ``ks_2samp(method="asymp")``;
    - ``"limiting"`` above: the Kolmogorov distribution at ``(sqrt(en) + 0.12 + 0.11 / sqrt(en)) D``
      (Stephens 1970), within 0.02% of ``kstwo`` near p = 0.05 and a few percent at p < 1e-8. ``kstwo`` costs
      about a microsecond per row for small p-values: 0.4 s a column at a million rows, minutes at a billion.

    All assume no ties (ties make them conservative).

    >>> p_value, how = ks_pvalue(0.5, 10, 10)
    >>> round(p_value, 6), how
    (0.167821, 'exact')
    """
    if n_reference == 0 or n_current == 0:
        return math.nan, "undefined"
    if n_reference * n_current <= KS_EXACT_MAX_PRODUCT:
        h = round(statistic * n_reference * n_current)
        return (_ks_exact_sf(h, n_reference, n_current) if h > 0 else 1.0), "exact"
    en = n_reference * n_current / (n_reference + n_current)
    if en <= KS_KSTWO_MAX_EN:
        from scipy.stats import kstwo

        return float(np.clip(kstwo.sf(statistic, np.round(en)), 0.0, 1.0)), "asymptotic"
    from scipy.stats import kstwobign

    root = math.sqrt(en)
    return float(np.clip(kstwobign.sf((root + 0.12 + 0.11 / root) * statistic), 0.0, 1.0)), "limiting"


@dataclass(frozen=True, slots=True)
class ChiSquare:
    """A two-sample chi-square test of homogeneity on the 2 x k table of both samples' counts."""

    statistic: float
    p_value: float
    dof: int
    cramers_v: float


def chi_square(reference_counts: Sequence[int] | np.ndarray, current_counts: Sequence[int] | np.ndarray) -> ChiSquare:
    """Chi-square test that two samples come from one categorical distribution, with Cramér's V.

    Both samples are random: this is ``scipy.stats.chi2_contingency`` on the 2 x k table (Yates' correction
    when k = 2, as scipy does), not a goodness-of-fit test that takes the reference shares as exact, which at
    1,000 rows a side flags identical distributions about half the time. Cramér's V (from the uncorrected
    statistic) is the effect size: ``sqrt(chi2 / n)`` for two rows. Categories absent from both are dropped.

    >>> result = chi_square([30, 70], [50, 50])
    >>> round(result.statistic, 4), round(result.p_value, 5), round(result.cramers_v, 4)
    (7.5208, 0.0061, 0.2041)
    """
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    table = np.vstack([np.asarray(reference_counts), np.asarray(current_counts)]).astype(np.int64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return ChiSquare(0.0, 1.0, 0, 0.0)
    result = chi2_contingency(table)
    return ChiSquare(float(result.statistic), float(result.pvalue), int(result.dof),
                     float(association(table, method="cramer")))


def alert_band(values: Sequence[float] | np.ndarray, *, width: float = 3.0,
               fixed: float | tuple[float, float] | None = None) -> tuple[float, float]:
    """The band a window's metric is expected in: mean +/- ``width`` standard errors over reference windows.

    The standard error of one window's metric is estimated by its standard deviation across the reference
    windows (ddof=1), as NannyML does for its thresholds; the band is wide when windows are small and their
    metric noisy. A ``fixed`` threshold overrides it: a number gives ``(-inf, fixed)``, a pair is the band.

    >>> alert_band([0.01, 0.02, 0.03])
    (-0.01, 0.05)
    >>> alert_band([0.01, 0.02], fixed=0.1)
    (-inf, 0.1)
    """
    if fixed is not None:
        if isinstance(fixed, tuple):
            return float(fixed[0]), float(fixed[1])
        return -math.inf, float(fixed)
    if width <= 0:
        raise ParameterError.invalid("width", "a positive number", width)
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if array.size < 2:
        raise ParameterError.invalid("values", "at least two finite metric values from reference windows",
                                     int(array.size))
    mean, spread = float(array.mean()), float(array.std(ddof=1))
    return round(mean - width * spread, 12), round(mean + width * spread, 12)


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
    bins read again, within ``w_bound``.
    """

    bins: pd.DataFrame
    exact: pd.DataFrame
    levels: np.ndarray
    n_ref: int
    n_cur: int
    ks_lower: int
    w_known: float
    w_bound: float


def scan_bins(bins: pd.DataFrame, psi_bins: int, w_budget: float = 0.0) -> BinScan:
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
    exact = ~single & ((np.maximum(np.abs(up), np.abs(down)) > ks_lower) | at_level)

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

    chosen = table.loc[exact, ["b", "n_ref", "n_cur", "r_before", "c_before", "low", "high"]]
    offsets = chosen.assign(off_ref=chosen["r_before"] - (chosen["n_ref"].cumsum() - chosen["n_ref"]),
                            off_cur=chosen["c_before"] - (chosen["n_cur"].cumsum() - chosen["n_cur"]))
    columns = ["b", "off_ref", "off_cur", "n_ref", "n_cur", "low", "high"]
    return BinScan(table, offsets[columns].reset_index(drop=True), levels, n_ref, n_cur, ks_lower, w_known, w_bound)


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


def split_of(keys: pd.DataFrame, split: pd.DataFrame, most: int) -> pd.DataFrame:
    """The rows of ``split`` (``s = 1`` for bins left whole) that the chosen ``keys`` lie in."""
    wanted = keys[["col", "key"]].assign(b=keys["key"] // most)[["col", "b"]].drop_duplicates()
    return wanted.merge(split, on=["col", "b"], how="inner", validate="one_to_one")


@dataclass(frozen=True, slots=True)
class NumericStats:
    """The drift statistics of one numeric column between two samples (see the module docstring)."""

    n_reference: int
    n_current: int
    ks: float
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
    >= k in the bin where the reference CDF reaches k / bins. The Wasserstein distance (within
    ``wasserstein_bound``, 0 when exact) is normalised by the reference's population standard deviation
    (infinite for a constant reference that moved, 0 if not).
    """
    bins = scan.bins
    ks_num = scan.ks_lower
    if len(exact):
        ks_num = max(ks_num, int(np.abs(exact["dmax"].to_numpy(np.int64)).max()),
                     int(np.abs(exact["dmin"].to_numpy(np.int64)).max()))
    ks = ks_num / (scan.n_ref * scan.n_cur)
    wasserstein = scan.w_known + (float(exact["w_in"].sum()) if len(exact) else 0.0)
    edges, ref_at, cur_at = [], [], []
    for k, position in enumerate(scan.levels, start=1):
        row = bins.iloc[position]
        if row["low"] == row["high"]:
            edges.append(float(row["low"]))
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
    return NumericStats(scan.n_ref, scan.n_cur, ks, p_value, p_method, wasserstein, normalised, scan.w_bound,
                        psi(ref_counts, cur_counts), jensen_shannon(ref_counts, cur_counts),
                        tuple(edges[i] for i in unique), tuple(int(c) for c in ref_counts),
                        tuple(int(c) for c in cur_counts))


@dataclass(frozen=True, slots=True)
class DomainClassifier:
    """How well a classifier tells the current sample from the reference one (multivariate drift).

    ``auc`` is the cross-validated ROC AUC (0.5: the samples look alike; 1.0: fully separable), ``p_value``
    the one-sided Mann-Whitney test of AUC > 0.5 on the out-of-fold scores, ``importances`` the drop in AUC
    when a column is shuffled in the held-out fold (largest first): the columns that carry the shift.
    """

    auc: float
    p_value: float
    threshold: float
    drifted: bool
    importances: dict[str, float]
    n_reference: int
    n_current: int


def classify_domains(reference: pd.DataFrame, current: pd.DataFrame, *, categorical: Sequence[str] = (),
                     threshold: float = 0.55, alpha: float = 0.05, folds: int = 5, seed: int = 0) -> DomainClassifier:
    """Train gradient boosting to tell ``current`` rows from ``reference`` rows, with ``folds``-fold CV.

    Numeric columns go in as they are (missing values allowed), ``categorical`` ones as category codes (the 254
    most frequent, the rest together). ``drifted`` when the AUC exceeds ``threshold`` and its p-value is below
    ``alpha``: AUC 0.55 is what a mean shift of about 0.18 standard deviations in one normal column gives
    (AUC = Phi(delta / sqrt 2)), the same order as the per-column Wasserstein threshold of 0.1.
    """
    from scipy.stats import mannwhitneyu
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    columns = list(reference.columns)
    both = pd.concat([reference[columns], current[columns]], ignore_index=True)
    features = pd.DataFrame(index=both.index)
    for column in columns:
        if column in categorical:
            values = both[column].astype("string")
            top = values.value_counts().index[:254]
            features[column] = pd.Categorical(values.where(values.isin(top), "(other)")).codes.astype(float)
            features.loc[values.isna().to_numpy(), column] = np.nan
        else:
            features[column] = pd.to_numeric(both[column], errors="coerce").astype(float)
    target = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    matrix = features.to_numpy()
    is_categorical = np.array([c in categorical for c in columns])
    scores = np.zeros(len(target))
    drops = np.zeros(len(columns))
    rng = np.random.default_rng(seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(matrix, target):
        model = HistGradientBoostingClassifier(max_iter=100, categorical_features=is_categorical if
                                               is_categorical.any() else None, random_state=seed)
        model.fit(matrix[train], target[train])
        scores[test] = model.predict_proba(matrix[test])[:, 1]
        base = roc_auc_score(target[test], scores[test])
        for j in range(len(columns)):
            shuffled = matrix[test].copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            drops[j] += (base - roc_auc_score(target[test], model.predict_proba(shuffled)[:, 1])) / folds
    auc = float(roc_auc_score(target, scores))
    p_value = float(mannwhitneyu(scores[target == 1], scores[target == 0], alternative="greater").pvalue)
    order = np.argsort(-drops)
    return DomainClassifier(auc, p_value, threshold, bool(auc > threshold and p_value < alpha),
                            {columns[j]: float(drops[j]) for j in order}, len(reference), len(current))
