"""The statistics of the feedback-loop checks, and the rule that turns them into alerts.

Kept apart from :mod:`answerkey.quality.feedback_loop` (which reads the prediction log and the labels) so the
statistics can be read, tested and reused against their published values without any of the frame handling.

Two independent shares are compared by Pearson's chi-square test of the 2x2 table without continuity correction (the
square of the pooled two-proportion z statistic), with both effect sizes beside the p-value: the difference of
shares with Newcombe's hybrid score interval [1]_ (built on each share's Wilson interval from
:func:`answerkey.intervals.wilson_interval`) and the risk ratio with Katz's log interval [2]_. A rater's agreement
with ``a`` and with ``b`` are paired (the same items): their margin gets the Agresti-Min interval [3]_ and the exact
McNemar test on the discordant items. The p-values of one table are adjusted by Holm's step-down procedure [4]_.

A comparison alerts when it is material (ratio at least ``min_ratio`` either way, or difference at least
``min_difference`` either way), significant (p below ``alpha`` after Holm's correction within its table) and both
groups hold at least ``min_count`` items.

References
----------
.. [1] R. G. Newcombe, "Interval estimation for the difference between independent proportions: comparison of
   eleven methods", Statistics in Medicine 17(8), 1998 (method 10).
.. [2] D. Katz, J. Baptista, S. P. Azen and M. C. Pike, "Obtaining confidence intervals for the risk ratio in
   cohort studies", Biometrics 34(3), 1978.
.. [3] A. Agresti and Y. Min, "Simple improved confidence intervals for comparing matched proportions",
   Statistics in Medicine 24(5), 2005.
.. [4] S. Holm, "A simple sequentially rejective multiple test procedure", Scandinavian Journal of Statistics 6(2),
   1979.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.intervals import wilson_interval, z_value

__all__ = [
    "AgreementMargin",
    "CheckSettings",
    "ProportionComparison",
    "agreement_margin",
    "check_open_unit",
    "check_settings",
    "compare_proportions",
    "compared_row",
    "holm",
    "with_alerts",
]


@dataclass(frozen=True, slots=True)
class ProportionComparison:
    """Share ``a`` against share ``b``: both effect sizes with their intervals, and the chi-square test.

    ``difference = share_a - share_b``; ``ratio = share_a / share_b``, with 0.5 added to every cell of the 2x2 table
    when a count is zero (Haldane-Anscombe), so it stays finite. ``p_value`` is two-sided; 1.0 when the pooled share
    is 0 or 1 (nothing to tell apart). Everything is NaN when a total is 0.
    """

    share_a: float
    share_b: float
    difference: float
    difference_low: float
    difference_high: float
    ratio: float
    ratio_low: float
    ratio_high: float
    chi2: float
    p_value: float


def compare_proportions(count_a: int, total_a: int, count_b: int, total_b: int, *,
                        confidence: float = 0.95) -> ProportionComparison:
    """Two independent shares compared: Pearson's chi-square (no continuity correction), difference, risk ratio.

    Parameters
    ----------
    count_a, total_a, count_b, total_b : the successes and trials of each group.
    confidence : the level of both intervals (Newcombe's hybrid score interval of the difference, Katz's log
        interval of the ratio).

    References
    ----------
    Newcombe (1998) and Katz et al. (1978): see the module's references.

    Examples
    --------
    Newcombe's worked example (1998, method 10: 0.0524 to 0.3339):

    >>> result = compare_proportions(56, 70, 48, 80)
    >>> round(result.difference, 4), round(result.difference_low, 4), round(result.difference_high, 4)
    (0.2, 0.0524, 0.3339)
    >>> round(result.ratio, 3), round(result.p_value, 4)
    (1.333, 0.008)
    """
    from scipy import stats  # scipy.stats costs half a second to import: only when a test runs

    for name, count, total in (("count_a", count_a, total_a), ("count_b", count_b, total_b)):
        if not 0 <= count <= total:
            raise ParameterError.invalid(name, f"a count between 0 and its total ({total})", count)
    check_open_unit("confidence", confidence)
    if not total_a or not total_b:
        return ProportionComparison(*[float("nan")] * 10)
    z = z_value(confidence)
    a, b = count_a / total_a, count_b / total_b
    lows, highs = wilson_interval([count_a, count_b], [total_a, total_b], confidence)
    (low_a, low_b), (high_a, high_b) = lows.tolist(), highs.tolist()
    difference = a - b
    x_a, n_a, x_b, n_b = float(count_a), float(total_a), float(count_b), float(total_b)
    if 0 in (count_a, count_b):
        x_a, n_a, x_b, n_b = x_a + 0.5, n_a + 1.0, x_b + 0.5, n_b + 1.0
    ratio = (x_a / n_a) / (x_b / n_b)
    spread = z * math.sqrt(max(1 / x_a - 1 / n_a + 1 / x_b - 1 / n_b, 0.0))
    pooled = (count_a + count_b) / (total_a + total_b)
    chi2, p_value = 0.0, 1.0
    if 0 < pooled < 1:
        chi2 = difference**2 / (pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
        p_value = float(stats.chi2.sf(chi2, 1))
    return ProportionComparison(a, b, difference, difference - math.hypot(a - low_a, high_b - b),
                                difference + math.hypot(high_a - a, b - low_b), ratio, ratio * math.exp(-spread),
                                ratio * math.exp(spread), chi2, p_value)


@dataclass(frozen=True, slots=True)
class AgreementMargin:
    """One rater's agreement with ``a`` against its agreement with ``b`` on the same items.

    ``margin = agree_a - agree_b`` with the Agresti-Min interval (0.5 added to each cell of the paired table);
    ``a_only`` items agree with ``a`` and not ``b``, ``b_only`` the reverse; ``p_value`` is the exact two-sided
    McNemar test (binomial on the discordant items; 1.0 when there are none). NaN when there are no items.
    """

    items: int
    agree_a: float
    agree_b: float
    margin: float
    margin_low: float
    margin_high: float
    a_only: int
    b_only: int
    p_value: float


def agreement_margin(agrees_a: npt.ArrayLike, agrees_b: npt.ArrayLike, *, confidence: float = 0.95) -> AgreementMargin:
    """How much more a rater agrees with ``a`` than with ``b``, paired by item.

    References
    ----------
    Agresti and Min (2005): see the module's references.

    Examples
    --------
    A source that repeats the model (right 80% of the time) on 95 of 100 items:

    >>> with_model = np.arange(100) < 95
    >>> with_trusted = np.arange(100) < 80
    >>> result = agreement_margin(with_model, with_trusted)
    >>> round(result.margin, 2), result.a_only, result.b_only, result.p_value < 0.001
    (0.15, 15, 0, True)
    """
    from scipy import stats

    first, second = np.asarray(agrees_a, dtype=bool), np.asarray(agrees_b, dtype=bool)
    if first.ndim != 1 or first.shape != second.shape:
        raise ParameterError.invalid("agrees_b", f"a 1-d array as long as agrees_a ({first.shape})", second.shape)
    check_open_unit("confidence", confidence)
    n = len(first)
    a_only, b_only = int((first & ~second).sum()), int((~first & second).sum())
    if not n:
        nan = float("nan")
        return AgreementMargin(0, nan, nan, nan, nan, nan, 0, 0, nan)
    z = z_value(confidence)
    total = n + 2.0
    centre = (a_only - b_only) / total
    half = z * math.sqrt(max((a_only + b_only + 1.0) - (a_only - b_only) ** 2 / total, 0.0)) / total
    discordant = a_only + b_only
    p_value = float(stats.binomtest(a_only, discordant, 0.5).pvalue) if discordant else 1.0
    return AgreementMargin(n, float(first.mean()), float(second.mean()), (a_only - b_only) / n,
                           max(centre - half, -1.0), min(centre + half, 1.0), a_only, b_only, p_value)


def holm(p_values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Holm's step-down adjusted p-values; NaN stays NaN and does not count as a test.

    >>> holm(np.array([0.01, np.nan, 0.04, 0.03])).round(2).tolist()
    [0.03, nan, 0.06, 0.06]
    """
    adjusted = np.full(len(p_values), np.nan)
    tested = np.flatnonzero(~np.isnan(p_values))
    order = tested[np.argsort(p_values[tested], kind="stable")]
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(p_values[order] * (len(order) - np.arange(len(order)))))
    return adjusted


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """The validated settings of one run: when a comparison alerts, and the level of every interval."""

    alpha: float
    min_ratio: float
    min_difference: float
    min_margin: float
    min_count: int
    confidence: float


def check_settings(alpha: float, min_ratio: float, min_difference: float, min_margin: float, min_count: int,
                   confidence: float) -> CheckSettings:
    """The settings as given, refused with a ``ParameterError`` naming the first one out of range."""
    check_open_unit("alpha", alpha)
    check_open_unit("confidence", confidence)
    if isinstance(min_ratio, bool) or not isinstance(min_ratio, int | float) or not min_ratio > 1:
        raise ParameterError.invalid("min_ratio", "a number above 1", min_ratio)
    for name, value in (("min_difference", min_difference), ("min_margin", min_margin)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ParameterError.invalid(name, "a number in (0, 1]", value)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ParameterError.invalid("min_count", "an integer of at least 1", min_count)
    return CheckSettings(float(alpha), float(min_ratio), float(min_difference), float(min_margin), min_count,
                         float(confidence))


def check_open_unit(name: str, value: float) -> None:
    """Refuse ``value`` unless it is a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParameterError.invalid(name, "a number strictly between 0 and 1", value)


def compared_row(names: tuple[str, str, str, str], counts: tuple[int, int, int, int],
                 s: CheckSettings) -> dict[str, Any]:
    """One table row comparing group ``a`` (count of total) with group ``b``; ``names`` = a, b, count, total."""
    a, b, count, total = names
    result = compare_proportions(*counts, confidence=s.confidence)
    ratio = result.ratio
    material = not math.isnan(ratio) and (abs(result.difference) >= s.min_difference
                                          or ratio >= s.min_ratio or ratio <= 1 / s.min_ratio)
    return {f"{a}_{total}": counts[1], f"{a}_{count}": counts[0], f"{a}_share": result.share_a,
            f"{b}_{total}": counts[3], f"{b}_{count}": counts[2], f"{b}_share": result.share_b,
            "difference": result.difference, "difference_low": result.difference_low,
            "difference_high": result.difference_high, "ratio": result.ratio, "ratio_low": result.ratio_low,
            "ratio_high": result.ratio_high, "chi2": result.chi2, "p_value": result.p_value,
            "tested": min(counts[1], counts[3]) >= s.min_count, "material": material}


def with_alerts(rows: list[dict[str, Any]], columns: list[str], family: npt.NDArray[np.bool_],
                s: CheckSettings) -> pd.DataFrame:
    """The rows as a table with ``p_adjusted`` (Holm over the tested rows of ``family``; others as they are) and
    ``alert`` (tested, material and adjusted p below ``alpha``)."""
    table = pd.DataFrame(rows, columns=columns)
    tested = table["tested"].to_numpy(dtype=bool)
    p_values = table["p_value"].to_numpy(dtype=float)
    adjusted = np.where(tested, p_values, np.nan)
    adjusted[family] = holm(np.where(tested[family], p_values[family], np.nan))
    table["p_adjusted"] = adjusted
    table["alert"] = tested & table["material"].to_numpy(dtype=bool) & (np.nan_to_num(adjusted, nan=1.0) < s.alpha)
    return table
