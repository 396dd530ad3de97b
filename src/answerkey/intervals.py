"""Confidence intervals for metrics and rates (monitoring, source accuracy), from small aggregates.

- Proportions (accuracy, per-class precision and recall): Wilson score interval.
- Means of per-prediction quantities (log loss, MAE, MAPE, MSE): normal interval from the engine's sums and
  sums of squares.
- Statistics of a confusion table (F1, macro averages) and of calibration bins: percentile interval of a
  bootstrap that resamples the table's counts (multinomial), so no prediction is ever pulled from the engine.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. Journal of the
American Statistical Association, 22(158), 209-212.
"""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = ["mean_and_sd", "normal_interval", "percentile_interval", "wilson_interval", "z_value"]

FloatArray = npt.NDArray[np.float64]


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence`` (1.96 for 0.95).

    >>> round(z_value(0.95), 3)
    1.96
    """
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of ``successes / n``, elementwise; NaN where ``n`` is 0.

    >>> low, high = wilson_interval([8], [10], 0.95)
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.4902, 0.9433)
    """
    k = np.asarray(successes, dtype=float)
    total = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / total
        centre = (p + z * z / (2 * total)) / (1 + z * z / total)
        half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    low = np.where(total > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(total > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def mean_and_sd(n: npt.ArrayLike, total: npt.ArrayLike, squares: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Mean and sample standard deviation from a count, a sum and a sum of squares (NaN where undefined)."""
    count = np.asarray(n, dtype=float)
    s1 = np.asarray(total, dtype=float)
    s2 = np.asarray(squares, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, s1 / count, np.nan)
        variance = np.where(count > 1, (s2 - s1 * s1 / count) / (count - 1), np.nan)
    return mean, np.sqrt(np.clip(variance, 0.0, None))


def normal_interval(mean: npt.ArrayLike, sd: npt.ArrayLike, n: npt.ArrayLike,
                    confidence: float) -> tuple[FloatArray, FloatArray]:
    """``mean -/+ z * sd / sqrt(n)``, elementwise (NaN where ``n`` is 0)."""
    centre = np.asarray(mean, dtype=float)
    count = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z_value(confidence) * np.asarray(sd, dtype=float) / np.sqrt(count)
    return centre - half, centre + half


def percentile_interval(samples: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval over the first axis of bootstrap ``samples`` (NaN draws ignored)."""
    alpha = (1 - confidence) / 2
    if samples.shape[0] == 0 or np.all(np.isnan(samples)):
        empty = np.full(samples.shape[1:], np.nan)
        return empty, empty.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column (a class never drawn) gives NaN
        low = np.nanquantile(samples, alpha, axis=0)
        high = np.nanquantile(samples, 1 - alpha, axis=0)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)
