"""Log loss and calibration error from per-bin sums computed in the engine.

One aggregate, grouped by window, segment and calibration bin, returns for each bin the number of labelled
predictions, the sum and sum of squares of their log loss, the sum of their confidence and the number of
hits. Log loss is the mean per-prediction loss (probabilities clipped to [eps, 1 - eps] with eps the float64
machine epsilon, as scikit-learn does); its interval is the normal one from the sums.

Calibration error is the expected calibration error (ECE) over ``n_bins`` equal-width bins of [0, 1]:
``sum over bins of (n_bin / n) * |hit rate - mean confidence|``. For a binary score the confidence is the
score and a hit is a positive outcome (the reliability diagram of the score); with class probabilities it is
top-label calibration: the largest probability, and whether its class is the outcome. Its interval is the
percentile interval of a bootstrap that redraws the bin counts (multinomial) and each bin's hits (binomial),
holding each bin's mean confidence fixed.

References
----------
Naeini, M. P., Cooper, G., & Hauskrecht, M. (2015). Obtaining well calibrated probabilities using Bayesian
binning. AAAI, 2901-2907.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from answerkey.intervals import mean_and_sd, normal_interval, percentile_interval
from answerkey.monitoring.classification import metric_row

__all__ = ["EPS", "probability_metrics", "probability_table"]

EPS = float(np.finfo(np.float64).eps)
"""Probabilities are clipped to [EPS, 1 - EPS] before the logarithm (scikit-learn's choice)."""


def probability_table(table: Any, keys: Sequence[str], *, n_bins: int, score: Any = None, positive: Any = None,
                      class_scores: Mapping[Any, str] | None = None) -> Any:
    """Ibis expression: per keys and bin, ``n``, ``loss``, ``loss_sq``, ``confidence`` and ``hits`` sums.

    Binary: ``score`` is the probability of the positive class and ``positive`` the outcome is positive.
    Multiclass: ``class_scores`` maps each class to its probability column. Rows with no probability are
    left out.
    """
    if class_scores:
        columns = [table[column] for column in class_scores.values()]
        truth = ibis.cases(*[(table.outcome == label, table[column]) for label, column in class_scores.items()],
                           else_=0.0)
        top = ibis.greatest(*columns) if len(columns) > 1 else columns[0]
        winner = ibis.cases(*[(table[column] == top, ibis.literal(label)) for label, column in class_scores.items()])
        rows = table.select(*keys, p=truth, conf=top, hit=winner == table.outcome, known=top.notnull())
    else:
        rows = table.select(*keys, p=ibis.ifelse(positive, score, 1 - score), conf=score, hit=positive,
                            known=score.notnull())
    rows = rows.filter(rows.known)
    rows = rows.mutate(loss=-rows.p.clip(lower=EPS, upper=1 - EPS).ln(),
                       bin=(rows.conf * n_bins).floor().clip(lower=0, upper=n_bins - 1).cast("int64"))
    return rows.group_by([*keys, "bin"]).agg(
        n=rows.count(), loss=rows.loss.sum(), loss_sq=(rows.loss * rows.loss).sum(),
        confidence=rows.conf.sum(), hits=rows.hit.cast("int64").sum())


def probability_metrics(frame: pd.DataFrame, keys: Sequence[str], *, n_bins: int, confidence: float, n_boot: int,
                        rng: np.random.Generator, top_label: bool) -> list[dict[str, Any]]:
    """``log_loss`` and ``calibration_error`` rows per group of :func:`probability_table` results."""
    rows: list[dict[str, Any]] = []
    if frame.empty:
        return rows
    kind = "top-label" if top_label else "of the score"
    frame = frame.sort_values([*keys, "bin"], kind="stable")  # the same draws on every engine
    for values, group in frame.groupby(list(keys), dropna=False, sort=True):
        key_values = dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True))
        n = group["n"].to_numpy(float)
        total = n.sum()
        mean, sd = mean_and_sd(total, group["loss"].sum(), group["loss_sq"].sum())
        low, high = normal_interval(mean, sd, total, confidence)
        rows.append(metric_row(key_values, "log_loss", None, float(mean), max(float(low), 0.0), float(high),
                               int(total)))
        ece, ece_low, ece_high = _ece(n, group["hits"].to_numpy(float), group["confidence"].to_numpy(float),
                                      n_boot, rng, confidence)
        rows.append(metric_row(key_values, "calibration_error", None, ece, ece_low, ece_high, int(total),
                               f"ECE {kind}, {n_bins} equal-width bins"))
    return rows


def _ece(n: Any, hits: Any, confidence_sums: Any, n_boot: int, rng: np.random.Generator,
         level: float) -> tuple[float, float, float]:
    """ECE of the bins, and its bootstrap percentile interval."""
    total = n.sum()
    mean_conf = confidence_sums / n
    value = float(np.sum(np.abs(hits - confidence_sums)) / total)
    if n_boot == 0:
        return value, np.nan, np.nan
    counts = rng.multinomial(int(total), n / total, size=n_boot)
    drawn_hits = rng.binomial(counts, np.clip(hits / n, 0.0, 1.0))
    samples = np.abs(drawn_hits - counts * mean_conf).sum(axis=1) / total
    low, high = percentile_interval(samples[:, None], level)
    return value, float(low[0]), float(high[0])
