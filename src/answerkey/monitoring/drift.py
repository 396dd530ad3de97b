"""Drift per column between a reference table and a current one, computed where the data is (any Ibis engine).

The reference is training ground truth or a past period; the current table is a window of production data.
Every pass over rows is an Ibis expression run by the tables' engine (DuckDB by default, Spark, ...), batched
over all columns: a summary (row counts, minimum and maximum: Parquet metadata answers it on DuckDB); a grouped
count of each numeric column into 32,768 equal-width fine bins (count, sums, min and max per bin); for the
dense bins the counts could not decide, a second count into sub-bins sized by their mass; one row-by-row pass
(a window in value order) over the few bins still undecided (``drift_bins.scan_bins`` says which); one
grouped count for all categorical columns. Python receives bins and counts, never
the rows. On 1,000,000 rows x 25 columns a side this is about 2 s on DuckDB (``benchmarks/bench_drift.py``).

This module holds the public functions; the work is in :mod:`~answerkey.monitoring.drift_plan` (parameters,
columns and their kinds), :mod:`~answerkey.monitoring.drift_histograms` (the engine passes),
:mod:`~answerkey.monitoring.drift_rows` (result rows), :mod:`~answerkey.monitoring.drift_bins` and
:mod:`~answerkey.monitoring.drift_stats` (the statistics) and :mod:`~answerkey.monitoring.domain_classifier`
(multivariate drift, re-exported here).

What each kind of column gets (all reported in ``details``, one of them deciding ``drifted``):

- numeric: Kolmogorov-Smirnov statistic (exact) and p-value (``drift_stats.ks_pvalue``), Wasserstein-1
  distance (raw and divided by the reference's population standard deviation; exact to within
  ``wasserstein_tolerance`` standard deviations, the bound reported, 0 for exact), PSI over ``bins``
  reference-quantile bins (exact quantiles, the inverted-CDF kind: the first value where the reference CDF
  reaches k / bins; bins closed on the right) and Jensen-Shannon distance over the same bins. Deciding method,
  unless ``numeric_method`` says:
  ``"ks"`` when either side has fewer than :data:`SMALL_SAMPLE` values (a rank statistic, robust where a
  standard deviation from few rows is not), else ``"wasserstein"`` (normalised, so 0.1 means the
  distribution moved by a tenth of a standard deviation; Evidently's default for large samples).
- categorical (text, boolean, or named in ``categorical``; integer ``label``/``prediction`` columns are
  classes): two-sample chi-square on the 2 x k contingency table with Cramér's V, PSI and Jensen-Shannon
  over categories, new and vanished categories. Deciding method: ``"chi_square"`` (effect size Cramér's V).

A column has ``drifted`` when the shift is material *and* significant: its effect size exceeds the method's
threshold and the p-value (KS for numeric, chi-square for categorical columns) is below ``alpha``. At a
million rows every shift is significant, so materiality decides; at a hundred, significance keeps noise from
being called drift. Default thresholds (:data:`DEFAULT_THRESHOLDS`), each overridable by ``thresholds``:
Wasserstein 0.1 standard deviations (Evidently), PSI 0.2 (between the customary 0.1 "some change" and 0.25
"major shift" bands, Siddiqi 2006), KS 0.1, Jensen-Shannon distance 0.1 (Evidently), Cramér's V 0.1 (Cohen's
"small" effect for one degree of freedom).

Missing values (NULL, and NaN in float columns) are left out of every statistic; their shares are in
``details``. Categorical columns keep their ``max_categories`` most frequent values (over both tables) and
count the rest as one ``"(other)"`` category.

References
----------
Siddiqi, N. (2006). Credit Risk Scorecards. Wiley. (PSI bands.)
Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed. Erlbaum. (w = 0.1: small.)
Rabanser, S., Günnemann, S. & Lipton, Z. (2019). Failing loudly: an empirical study of methods for detecting
dataset shift. NeurIPS. (Two-sample tests per feature and domain classifiers.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal

import ibis.expr.types as ir
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring.domain_classifier import domain_classifier_drift
from answerkey.monitoring.drift_plan import (
    CATEGORICAL_METHODS,
    DEFAULT_THRESHOLDS,
    GROUP,
    MAX_CATEGORIES,
    NUMERIC_METHODS,
    RESOLUTION,
    SMALL_SAMPLE,
    WASSERSTEIN_TOLERANCE,
    WINDOW_CDF_TOLERANCE,
    Layout,
    build_spec,
    require_column,
)
from answerkey.monitoring.drift_rows import RESULT_COLUMNS, compare
from answerkey.monitoring.drift_stats import alert_band, noise_scale
from answerkey.monitoring.engines import backend_name, table_backend

__all__ = [
    "CATEGORICAL_METHODS",
    "DEFAULT_THRESHOLDS",
    "NUMERIC_METHODS",
    "RESULT_COLUMNS",
    "SMALL_SAMPLE",
    "WASSERSTEIN_TOLERANCE",
    "WINDOWS",
    "WINDOW_CDF_TOLERANCE",
    "column_drift",
    "domain_classifier_drift",
    "window_drift",
]

WINDOWS: Mapping[str, str] = MappingProxyType(
    {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"})
"""Window lengths :func:`window_drift` accepts, and the Ibis truncation unit of each."""


def column_drift(reference: ir.Table, current: ir.Table, *, columns: Sequence[str] | None = None,
                 by: str | None = None, categorical: Sequence[str] = (), prediction: str | None = None,
                 label: str | None = None, numeric_method: str | None = None, categorical_method: str = "chi_square",
                 thresholds: Mapping[str, float] | None = None, bins: int = 10, alpha: float = 0.05,
                 wasserstein_tolerance: float = WASSERSTEIN_TOLERANCE, cdf_tolerance: float = 0.0,
                 max_categories: int = MAX_CATEGORIES, resolution: int = RESOLUTION) -> pd.DataFrame:
    """Drift of each column from ``reference`` to ``current`` (two Ibis tables on one engine).

    ``columns`` defaults to every numeric, text and boolean column the two share (without ``by``).
    ``prediction`` and ``label`` name the model's output and the ground truth: they are compared like any column
    (prediction drift, label-distribution drift), marked by ``role``, and integer ones count as classes.
    With ``by``, each segment of ``current`` is compared with the same segment of ``reference`` (segment values
    as text, NULL as ``"(missing)"``).

    Returns one row per column (and segment) with :data:`RESULT_COLUMNS` (``segment`` after ``column`` when
    ``by`` is given): the deciding ``method``, its ``statistic`` (raw Wasserstein distance, KS D, PSI, JS
    distance or chi-square), ``effect_size`` (normalised Wasserstein, D, PSI, JS distance or Cramér's V),
    ``threshold``, ``p_value``, ``drifted`` and ``details`` (every statistic, bins, counts, categories).
    See the module docstring for the rules.

    Six rows a side: a shift of half the range, and a new category, are large effects but not significant.

    >>> import ibis, pandas as pd
    >>> reference = ibis.memtable(pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "c": ["a", "a", "a", "b", "b", "b"]}))
    >>> current = ibis.memtable(pd.DataFrame({"x": [4.0, 5, 6, 7, 8, 9], "c": ["a", "b", "b", "b", "b", "new"]}))
    >>> result = column_drift(reference, current)
    >>> result[["column", "method", "effect_size", "p_value", "drifted"]].round(3)
      column      method  effect_size  p_value  drifted
    0      x          ks        0.500    0.474    False
    1      c  chi_square        0.423    0.343    False
    >>> result.loc[1, "details"]["new_categories"]
    ['new']
    """
    spec = build_spec(reference, current, columns, (by,), categorical, prediction, label, numeric_method,
                      categorical_method, thresholds, bins, alpha, max_categories, resolution,
                      wasserstein_tolerance, cdf_tolerance)
    if by is None:
        return compare(reference, current, Layout(False, False), spec).drop(columns=GROUP)
    require_column(by, reference, current, "by")

    def segment(table: ir.Table) -> ir.Table:
        return table.mutate(**{GROUP: table[by].cast("string").fill_null("(missing)")})

    frame = compare(segment(reference), segment(current), Layout(True, True), spec)
    frame = frame.rename(columns={GROUP: "segment"})
    return frame[["column", "segment", *RESULT_COLUMNS[1:]]]


def window_drift(reference: ir.Table, current: ir.Table, *, time_column: str, window: str = "day",
                 columns: Sequence[str] | None = None, categorical: Sequence[str] = (), prediction: str | None = None,
                 label: str | None = None, numeric_method: str | None = None, categorical_method: str = "chi_square",
                 thresholds: Mapping[str, float] | None = None, bins: int = 10, alpha: float = 0.05,
                 band: Literal["auto", "reference", "fixed"] = "auto", band_width: float = 3.0,
                 wasserstein_tolerance: float = WASSERSTEIN_TOLERANCE,
                 cdf_tolerance: float = WINDOW_CDF_TOLERANCE, max_categories: int = MAX_CATEGORIES,
                 resolution: int = RESOLUTION) -> pd.DataFrame:
    """Drift of each column in each ``window`` of ``current`` (by ``time_column``) from the whole reference.

    All windows are computed together in the engine: one fine-bin count per column grouped by window, and a
    pass over the rows of the few bins the counts leave undecided. Rows as :func:`column_drift` plus ``window``
    (its start), ``lower``/``upper`` (the alert band of the window's effect size) and ``alert``.

    Per window the CDFs are read to within ``cdf_tolerance`` (:data:`~answerkey.monitoring.drift_plan.
    WINDOW_CDF_TOLERANCE`; 0 reads them exactly, as :func:`column_drift` does, at the cost of a row pass per
    window): the KS statistic is at most that below the exact one (``details["ks_bound"]`` says how far it
    can be) and each PSI bin's reference share within it of ``1 / bins``.

    ``band="reference"`` takes the band from the reference's own windows of the same length, each compared
    with the whole reference: mean +/- ``band_width`` standard errors
    (:func:`~answerkey.monitoring.drift_stats.alert_band`), per column and method, of the effect sizes divided
    by their sampling scale (:func:`~answerkey.monitoring.drift_stats.noise_scale`) and scaled back to each
    window's sample sizes, so that a small window is not alarmed by its own noise; ``alert`` is an effect
    size above it (less drift than usual is no alarm) with a p-value below ``alpha``. The band takes the
    reference windows' drift as sampling noise: a reference with real seasonal swings gets bands that are too
    wide for large windows.
    ``band="fixed"`` uses the thresholds (``alert`` equals ``drifted``). ``"auto"`` is ``"reference"`` when
    the reference has ``time_column`` and at least two windows, else ``"fixed"``.
    """
    if window not in WINDOWS:
        raise ParameterError.invalid("window", f"one of {', '.join(WINDOWS)}", window)
    if band not in ("auto", "reference", "fixed"):
        raise ParameterError.invalid("band", "'auto', 'reference' or 'fixed'", band)
    require_column(time_column, current, current, "time_column")
    spec = build_spec(reference, current, columns, (time_column,), categorical, prediction, label,
                      numeric_method, categorical_method, thresholds, bins, alpha, max_categories, resolution,
                      wasserstein_tolerance, cdf_tolerance)
    unit = WINDOWS[window]
    # in-memory tables run on DuckDB, which groups by the window's start itself (casting it to text costs more
    # than the count); other engines group by its text, as their time zones make timestamps travel badly
    backend = table_backend(current)
    as_text = backend is not None and backend_name(backend) != "duckdb"

    def windows(table: ir.Table) -> tuple[ir.Table, Layout]:
        stamp = table[time_column]
        key = stamp.truncate(unit).cast("string") if as_text else stamp.truncate(unit)
        return (table.filter(stamp.notnull()).mutate(**{GROUP: key}),
                Layout(False, True, key.type()))

    frame = compare(reference, *windows(current), spec).rename(columns={GROUP: "window"})
    frame["window"] = pd.to_datetime(frame["window"])
    mode = band
    if band != "fixed" and time_column in reference.columns:
        base = compare(reference, *windows(reference), spec)
        limits = _reference_band(base, frame, band_width)
        if band == "reference" and limits is None:
            raise ParameterError.invalid("band", "'auto' or 'fixed' when the reference spans fewer than two windows",
                                         band)
        if limits is not None:
            frame["lower"], frame["upper"] = limits
            frame["alert"] = (frame["effect_size"] > frame["upper"]) & (frame["p_value"] < alpha)
            mode = "reference"
    elif band == "reference":
        raise ParameterError.invalid("time_column", "a column of reference too (band='reference')", time_column)
    if mode != "reference":
        frame["lower"], frame["upper"], frame["alert"] = -math.inf, frame["threshold"], frame["drifted"]
    frame["band"] = "reference" if mode == "reference" else "fixed"
    return frame[["column", "window", *RESULT_COLUMNS[1:], "lower", "upper", "alert", "band"]]


def _reference_band(base: pd.DataFrame, frame: pd.DataFrame,
                    band_width: float) -> tuple[list[float], list[float]] | None:
    """Per row of ``frame``, the band of its effect size from the reference's own windows (``base``), or None
    when some column and method has fewer than two reference windows.

    Each reference window's effect is divided by its sampling scale (:func:`~answerkey.monitoring.drift_stats.
    noise_scale`, the window being part of the reference); the band of those is multiplied back by the scale of
    the current window's sizes. A current window smaller than the reference's windows gets a wider band.
    """
    spread: dict[tuple[str, str], list[float]] = {}
    for column, details, n_ref, n_cur in zip(base["column"], base["details"], base["n_reference"],
                                             base["n_current"], strict=True):
        for method, value in details.get("effects", {}).items():
            unit = value / noise_scale(method, int(n_ref), int(n_cur), within=True)
            if math.isfinite(unit):
                spread.setdefault((str(column), method), []).append(unit)
    keys = [(str(c), str(m)) for c, m in zip(frame["column"], frame["method"], strict=True)]
    if not keys or not all(len(spread.get(key, ())) >= 2 for key in keys):
        return None
    bands = {key: alert_band(spread[key], width=band_width) for key in set(keys)}
    scales = [noise_scale(method, int(n_ref), int(n_cur)) for (_, method), n_ref, n_cur in
              zip(keys, frame["n_reference"], frame["n_current"], strict=True)]
    return ([bands[key][0] * scale for key, scale in zip(keys, scales, strict=True)],
            [bands[key][1] * scale for key, scale in zip(keys, scales, strict=True)])
