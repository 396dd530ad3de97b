"""Drift statistics on small, already-aggregated data: divergences of two histograms, two-sample tests, alert bands.

The engine (:mod:`answerkey.monitoring.drift`) reduces two large tables to a few thousand numbers per column;
everything here works on those numbers with numpy and scipy, and is what the tests pin to scipy and to hand
computations. The CDF statistics of numeric columns (KS, Wasserstein) from fine bins are in
:mod:`answerkey.monitoring.drift_bins`; the domain classifier is in :mod:`answerkey.monitoring.domain_classifier`.

Divergences and their log bases:

- PSI (population stability index), natural log: ``sum((c - r) * ln(c / r))`` over bins, a share of 0 replaced
  by :data:`PSI_EPSILON` (as Evidently does) so that an empty bin gives a large but finite value.
- Jensen-Shannon *distance*, log base 2: the square root of the JS divergence, so it lies in [0, 1]
  (``scipy.spatial.distance.jensenshannon(p, q, base=2)``); empty bins need no epsilon.

References
----------
Hodges, J. L. (1958). The significance probability of the Smirnov two-sample test. Arkiv för Matematik 3, 469-486.
Stephens, M. A. (1970). Use of the Kolmogorov-Smirnov, Cramér-von Mises and related statistics without extensive
tables. Journal of the Royal Statistical Society B 32, 115-122.
Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Transactions on Information Theory 37,
145-151.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from answerkey.errors import ParameterError

__all__ = [
    "KS_EXACT_MAX_PRODUCT",
    "KS_KSTWO_MAX_EN",
    "PSI_EPSILON",
    "ChiSquare",
    "alert_band",
    "chi_square",
    "jensen_shannon",
    "ks_pvalue",
    "noise_scale",
    "psi",
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


def noise_scale(method: str, n_reference: int, n_current: int, *, within: bool = False) -> float:
    """How large ``method``'s effect size is from sampling alone, up to a constant, for samples of these sizes.

    The difference of two empirical distributions has a spread of ``sqrt(1/n_ref + 1/n_cur)``, or
    ``sqrt(1/n_cur - 1/n_ref)`` when the current sample is part of the reference (``within``: a reference
    window compared with the whole reference). KS, Wasserstein and the Jensen-Shannon distance grow with that
    spread, PSI with its square, and Cramér's V with it times ``sqrt(n_ref n_cur) / (n_ref + n_cur)`` (its
    chi-square over the table's total). Effect sizes divided by this are comparable across window sizes, so an
    alert band learnt on large reference windows can be scaled to a small current one. NaN when undefined.

    >>> round(noise_scale("ks", 10_000, 100) / noise_scale("ks", 10_000, 400), 2)
    1.97
    >>> round(noise_scale("psi", 10_000, 100) / noise_scale("psi", 10_000, 400), 2)
    3.88
    """
    if n_reference <= 0 or n_current <= 0 or (within and n_current >= n_reference):
        return math.nan
    spread = math.sqrt(1 / n_current - 1 / n_reference if within else 1 / n_current + 1 / n_reference)
    if method == "psi":
        return spread**2
    if method == "chi_square":
        return spread * math.sqrt(n_reference * n_current) / (n_reference + n_current)
    return spread
