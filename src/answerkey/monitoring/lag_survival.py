"""Label lag as a survival time: Kaplan-Meier over outcomes that arrived and outcomes still outstanding.

A prediction whose outcome has not arrived by ``as_of`` is not missing at random: it is the slow one. Its lag is
*censored* at ``as_of - predicted_at`` (at least that long). Quantiles of the arrived lags alone are biased short
while outcomes are still arriving; the Kaplan-Meier estimate uses both and is unbiased for every lag the log has
followed long enough to see. Predictions that will never get an outcome are accounted for by a declared
``max_lag`` (the lag distribution is then the one of outcomes arriving within it) or, without one, by the curve's
plateau once the log has followed predictions at least twice the longest lag it has seen.

References
----------
Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete observations. JASA 53(282).
Brookmeyer, R. and Crowley, J. (1982). A confidence interval for the median survival time. Biometrics 38(1).
Maller, R. A. and Zhou, S. (1996). Survival Analysis with Long-Term Survivors. Wiley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["LagSurvival", "kaplan_meier"]


@dataclass(frozen=True)
class LagSurvival:
    """The Kaplan-Meier curve of label lag: at each ``times`` (seconds, ascending) the share ``survival`` of
    predictions still without an outcome, its Greenwood standard error ``se``, and how many were ``at_risk``."""

    times: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    at_risk: np.ndarray
    followed: float
    """The longest follow-up in the log (seconds): no quantile beyond it can be estimated."""
    max_lag: float | None = None

    @property
    def cured_share(self) -> float:
        """The share of predictions taken never to get an outcome: those past ``max_lag``; without one, the
        Kaplan-Meier plateau after the longest lag seen, once the log has followed predictions at least twice that
        long (sufficient follow-up, after Maller and Zhou), else 0."""
        if self.times.size == 0:
            return 0.0
        if self.max_lag is not None:
            below = np.searchsorted(self.times, self.max_lag, side="right") - 1
            return float(self.survival[below]) if below >= 0 else 1.0
        return float(self.survival[-1]) if self.followed >= 2 * self.times[-1] else 0.0

    def _ceiling(self) -> float:
        """The share of predictions that ever get an outcome."""
        return 1.0 - self.cured_share

    def quantile(self, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
        """The lag by which a share ``q`` of eventual outcomes has arrived, with a Brookmeyer-Crowley interval;
        NaN where the log has not followed predictions long enough to tell."""
        if self.times.size == 0:
            return np.nan, np.nan, np.nan
        ceiling = self._ceiling()
        target = 1.0 - q * ceiling  # the survival level at which share q of the eventual outcomes have arrived
        reached = np.flatnonzero(self.survival <= target + 1e-12)
        estimate = float(self.times[reached[0]]) if reached.size else np.nan
        z = stats.norm.ppf(0.5 + confidence / 2)
        inside = np.flatnonzero(np.abs(self.survival - target) <= z * np.maximum(self.se, 1e-12))
        if not inside.size:
            return estimate, estimate, estimate
        low = float(self.times[inside[0]])
        high = float(self.times[inside[-1] + 1]) if inside[-1] + 1 < self.times.size else np.nan
        return estimate, min(low, estimate) if not np.isnan(estimate) else low, high


def kaplan_meier(times: np.ndarray, events: np.ndarray, censored: np.ndarray, followed: float,
                 max_lag: float | None = None) -> LagSurvival:
    """The Kaplan-Meier curve from counts per distinct time: ``events`` outcomes arrived at ``times[i]`` and
    ``censored`` predictions still waiting after that long (counted at risk at their own time, as usual)."""
    order = np.argsort(times, kind="stable")
    times, events, censored = (np.asarray(a, dtype=float)[order] for a in (times, events, censored))
    total = events.sum() + censored.sum()
    at_risk = total - np.concatenate([[0.0], np.cumsum(events + censored)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk > 0, 1.0 - events / at_risk, 1.0)
        survival = np.cumprod(step)
        terms = np.where((at_risk > events) & (at_risk > 0), events / (at_risk * (at_risk - events)), 0.0)
    se = survival * np.sqrt(np.cumsum(terms))
    keep = events > 0
    return LagSurvival(times[keep], survival[keep], se[keep], at_risk[keep], float(followed), max_lag)
