"""Drift per column between a reference table and a current one, computed where the data is (any Ibis engine).

The reference is training ground truth or a past period; the current table is a window of production data.
Every pass over rows is an Ibis expression run by the tables' engine (DuckDB by default, Spark, ...), batched
over all columns: a summary (row counts, minimum and maximum: Parquet metadata answers it on DuckDB); a grouped
count of each numeric column into 32,768 equal-width fine bins (count, sums, min and max per bin); for the
dense bins the counts could not decide, a second count into sub-bins sized by their mass; one row-by-row pass
(a window in value order) over the few bins still undecided (``drift_stats.scan_bins`` says which); one
grouped count for all categorical columns. Python receives bins and counts, never
the rows. On 1,000,000 rows x 25 columns a side this is about 2 s on DuckDB (``benchmarks/bench_drift.py``).

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

import difflib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring import drift_stats as ds

__all__ = [
    "CATEGORICAL_METHODS",
    "DEFAULT_THRESHOLDS",
    "NUMERIC_METHODS",
    "RESULT_COLUMNS",
    "SMALL_SAMPLE",
    "WASSERSTEIN_TOLERANCE",
    "WINDOWS",
    "column_drift",
    "domain_classifier_drift",
    "window_drift",
]

NUMERIC_METHODS = ("wasserstein", "ks", "psi", "jensen_shannon")
CATEGORICAL_METHODS = ("chi_square", "psi", "jensen_shannon")
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"wasserstein": 0.1, "ks": 0.1, "psi": 0.2, "jensen_shannon": 0.1, "chi_square": 0.1})
"""Effect size over which a shift is material, per method (for ``chi_square`` the effect size is Cramér's V)."""
SMALL_SAMPLE = 1_000
"""Below this many values on either side the numeric default is ``"ks"`` instead of ``"wasserstein"``."""
RESOLUTION = 32_768
"""Fine bins per numeric column (fewer per group when there are many segments or windows)."""
MAX_CATEGORIES = 100
WASSERSTEIN_TOLERANCE = 1e-3
"""How far (in reference standard deviations) the normalised Wasserstein distance may be from exact: 1% of its
threshold. The distance is exact where the fine bins decide it; elsewhere it is bracketed and the widest
brackets are read row by row until what is left is within this (0: always exact)."""
WINDOWS: Mapping[str, str] = MappingProxyType(
    {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"})
"""Window lengths :func:`window_drift` accepts, and the Ibis truncation unit of each."""
RESULT_COLUMNS = ("column", "role", "kind", "method", "statistic", "effect_size", "threshold", "p_value",
                  "drifted", "n_reference", "n_current", "details")
OTHER = "(other)"
_G = "__group"


@dataclass(frozen=True, slots=True)
class _Spec:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    roles: Mapping[str, str]
    numeric_method: str | None
    categorical_method: str
    thresholds: Mapping[str, float]
    bins: int
    alpha: float
    max_categories: int
    resolution: int
    wasserstein_tolerance: float


def column_drift(reference: ir.Table, current: ir.Table, *, columns: Sequence[str] | None = None,
                 by: str | None = None, categorical: Sequence[str] = (), prediction: str | None = None,
                 label: str | None = None, numeric_method: str | None = None, categorical_method: str = "chi_square",
                 thresholds: Mapping[str, float] | None = None, bins: int = 10, alpha: float = 0.05,
                 wasserstein_tolerance: float = WASSERSTEIN_TOLERANCE, max_categories: int = MAX_CATEGORIES,
                 resolution: int = RESOLUTION) -> pd.DataFrame:
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
    spec = _spec(reference, current, columns, (by,), categorical, prediction, label, numeric_method,
                 categorical_method, thresholds, bins, alpha, max_categories, resolution, wasserstein_tolerance)
    if by is None:
        return _drift(reference, current, _Layout(False, False), spec).drop(columns=_G)
    _require(by, reference, current, "by")

    def segment(table: ir.Table) -> ir.Table:
        return table.mutate(**{_G: table[by].cast("string").fill_null("(missing)")})

    frame = _drift(segment(reference), segment(current), _Layout(True, True), spec).rename(columns={_G: "segment"})
    return frame[["column", "segment", *RESULT_COLUMNS[1:]]]


def window_drift(reference: ir.Table, current: ir.Table, *, time_column: str, window: str = "day",
                 columns: Sequence[str] | None = None, categorical: Sequence[str] = (), prediction: str | None = None,
                 label: str | None = None, numeric_method: str | None = None, categorical_method: str = "chi_square",
                 thresholds: Mapping[str, float] | None = None, bins: int = 10, alpha: float = 0.05,
                 band: Literal["auto", "reference", "fixed"] = "auto", band_width: float = 3.0,
                 wasserstein_tolerance: float = WASSERSTEIN_TOLERANCE, max_categories: int = MAX_CATEGORIES,
                 resolution: int = RESOLUTION) -> pd.DataFrame:
    """Drift of each column in each ``window`` of ``current`` (by ``time_column``) from the whole reference.

    All windows are computed together in the engine: one fine-bin count per column grouped by window, one exact
    pass over the undecided bins of every window. Rows as :func:`column_drift` plus ``window`` (its start),
    ``lower``/``upper`` (the alert band of the window's effect size) and ``alert``.

    ``band="reference"`` takes the band from the reference's own windows of the same length, each compared
    with the whole reference: mean +/- ``band_width`` standard errors
    (:func:`~answerkey.monitoring.drift_stats.alert_band`), per column and method; ``alert`` is an effect size
    above it (less drift than usual is no alarm). ``band="fixed"`` uses the thresholds (``alert`` equals
    ``drifted``). ``"auto"`` is ``"reference"`` when the reference has ``time_column`` and at least two
    windows, else ``"fixed"``.
    """
    if window not in WINDOWS:
        raise ParameterError.invalid("window", f"one of {', '.join(WINDOWS)}", window)
    if band not in ("auto", "reference", "fixed"):
        raise ParameterError.invalid("band", "'auto', 'reference' or 'fixed'", band)
    _require(time_column, current, current, "time_column")
    spec = _spec(reference, current, columns, (time_column,), categorical, prediction, label, numeric_method,
                 categorical_method, thresholds, bins, alpha, max_categories, resolution, wasserstein_tolerance)
    unit = WINDOWS[window]

    def windows(table: ir.Table) -> ir.Table:
        stamp = table[time_column]
        key = stamp.truncate(unit).cast("string")
        return table.filter(stamp.notnull()).mutate(**{_G: key})

    frame = _drift(reference, windows(current), _Layout(False, True), spec).rename(columns={_G: "window"})
    frame["window"] = pd.to_datetime(frame["window"])
    mode = band
    if band != "fixed" and time_column in reference.columns:
        base = _drift(reference, windows(reference), _Layout(False, True), spec)
        spread: dict[tuple[str, str], list[float]] = {}
        for column, details in zip(base["column"], base["details"], strict=True):
            for method, value in details.get("effects", {}).items():
                spread.setdefault((str(column), method), []).append(value)
        if band == "reference" and not all(len(values) >= 2 for values in spread.values()):
            raise ParameterError.invalid("band", "'auto' or 'fixed' when the reference spans fewer than two windows",
                                         band)
        if all(len(values) >= 2 for values in spread.values()):
            bands = {key: ds.alert_band(values, width=band_width) for key, values in spread.items()}
            limits = [bands[(str(column), str(method))] for column, method in zip(frame["column"], frame["method"],
                                                                                  strict=True)]
            frame["lower"], frame["upper"] = [low for low, _ in limits], [high for _, high in limits]
            frame["alert"] = frame["effect_size"] > frame["upper"]
            mode = "reference"
    elif band == "reference":
        raise ParameterError.invalid("time_column", "a column of reference too (band='reference')", time_column)
    if mode != "reference":
        frame["lower"], frame["upper"], frame["alert"] = -math.inf, frame["threshold"], frame["drifted"]
    frame["band"] = "reference" if mode == "reference" else "fixed"
    return frame[["column", "window", *RESULT_COLUMNS[1:], "lower", "upper", "alert", "band"]]


def domain_classifier_drift(reference: ir.Table, current: ir.Table, *, columns: Sequence[str] | None = None,
                            categorical: Sequence[str] = (), sample_size: int = 20_000, threshold: float = 0.55,
                            alpha: float = 0.05, folds: int = 5, seed: int = 0) -> ds.DomainClassifier:
    """Multivariate drift: can a classifier tell current rows from reference rows?

    Up to ``sample_size`` rows are sampled from each table in the engine (seeded where the engine allows;
    Ibis's PySpark backend takes no seed), and only the samples come to Python, where gradient boosting is
    cross-validated on them (:func:`~answerkey.monitoring.drift_stats.classify_domains`). It catches shifts in
    how columns move together that no single column shows.
    """
    spec = _spec(reference, current, columns, (), categorical, None, None, None, "chi_square", None, 10, alpha,
                 MAX_CATEGORIES, RESOLUTION, WASSERSTEIN_TOLERANCE)
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 10 * folds:
        raise ParameterError.invalid("sample_size", f"an integer of at least {10 * folds}", sample_size)
    names = [*spec.numeric, *spec.categorical]
    samples = [_sample(table, names, sample_size, seed, name)
               for name, table in (("reference", reference), ("current", current))]
    return ds.classify_domains(*samples, categorical=spec.categorical, threshold=threshold, alpha=alpha,
                               folds=folds, seed=seed)


def _sample(table: ir.Table, columns: list[str], size: int, seed: int, name: str) -> pd.DataFrame:
    rows = int(table.count().execute())
    if rows < 5:
        raise ParameterError.invalid(name, "a table with at least 5 rows", f"{rows} rows")
    picked = table.select(*columns)
    fraction = min(1.0, 1.5 * size / rows)
    if fraction < 1.0:
        try:
            return _fetch(picked.sample(fraction, seed=seed).limit(size))
        except ibis.common.exceptions.UnsupportedOperationError:  # a backend without seeded sampling
            picked = picked.sample(fraction)
    return _fetch(picked.limit(size))


# ---------------------------------------------------------------- validation


def _require(name: str, reference: ir.Table, current: ir.Table, parameter: str) -> None:
    for table in (reference, current):
        if name not in table.columns:
            close = difflib.get_close_matches(str(name), list(table.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError.invalid(parameter, f"a column of both tables{hint}", name)


def _kind(table: ir.Table, column: str) -> str | None:
    dtype = table.schema()[column]
    if dtype.is_boolean() or dtype.is_string():
        return "categorical"
    if dtype.is_integer():
        return "integer"
    if dtype.is_floating() or dtype.is_decimal():
        return "numeric"
    return None


def _spec(reference: Any, current: Any, columns: Sequence[str] | None, exclude: Sequence[str | None],
          categorical: Sequence[str], prediction: str | None, label: str | None, numeric_method: str | None,
          categorical_method: str, thresholds: Mapping[str, float] | None, bins: int, alpha: float,
          max_categories: int, resolution: int, wasserstein_tolerance: float) -> _Spec:
    for name, table in (("reference", reference), ("current", current)):
        if not isinstance(table, ir.Table):
            raise ParameterError.invalid(name, "an Ibis table", type(table).__name__)
    if numeric_method is not None and numeric_method not in NUMERIC_METHODS:
        raise ParameterError.invalid("numeric_method", f"None or one of {', '.join(NUMERIC_METHODS)}", numeric_method)
    if categorical_method not in CATEGORICAL_METHODS:
        raise ParameterError.invalid("categorical_method", f"one of {', '.join(CATEGORICAL_METHODS)}",
                                     categorical_method)
    unknown = set(thresholds or {}) - set(DEFAULT_THRESHOLDS)
    if unknown:
        raise ParameterError.invalid("thresholds", f"a mapping with keys among {', '.join(DEFAULT_THRESHOLDS)}",
                                     sorted(unknown))
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ParameterError.invalid("bins", "an integer of at least 2", bins)
    if not 0 < alpha < 1:
        raise ParameterError.invalid("alpha", "a number between 0 and 1", alpha)
    if not wasserstein_tolerance >= 0:
        raise ParameterError.invalid("wasserstein_tolerance", "a number of at least 0", wasserstein_tolerance)
    if max_categories < 2 or resolution < 16:
        raise ParameterError.invalid("max_categories" if max_categories < 2 else "resolution",
                                     "a larger integer", max_categories if max_categories < 2 else resolution)
    roles = {column: role for role, column in (("prediction", prediction), ("label", label)) if column is not None}
    if columns is None:
        chosen = [c for c in reference.columns if c in current.columns and c not in exclude
                  and _kind(reference, c) is not None]
        chosen += [c for c in roles if c not in chosen]
    else:
        if isinstance(columns, str):
            raise ParameterError.invalid("columns", "a list of column names", columns)
        chosen = list(dict.fromkeys([*columns, *roles]))
    for column in chosen:
        _require(column, reference, current, "label" if roles.get(column) == "label" else
                 "prediction" if column in roles else "columns")
        if _kind(reference, column) is None:
            raise ParameterError.invalid("columns", "numeric, text or boolean columns",
                                         f"{column!r} of type {reference.schema()[column]}")
    for column in categorical:
        if column not in chosen:
            raise ParameterError.invalid("categorical", "names among the compared columns", column)
    if not chosen:
        raise ParameterError.invalid("columns", "at least one numeric, text or boolean column in both tables", [])

    def is_categorical(column: str) -> bool:
        kinds = {_kind(reference, column), _kind(current, column)}
        return "categorical" in kinds or column in categorical or (kinds == {"integer"} and column in roles)

    return _Spec(tuple(c for c in chosen if not is_categorical(c)), tuple(c for c in chosen if is_categorical(c)),
                 MappingProxyType(roles), numeric_method, categorical_method,
                 MappingProxyType({**DEFAULT_THRESHOLDS, **(thresholds or {})}), bins, alpha, max_categories,
                 resolution, wasserstein_tolerance)


# ---------------------------------------------------------------- the engine passes


@dataclass(frozen=True, slots=True)
class _Layout:
    """Which side carries a group key: none (one comparison), both (``by``), or the current only (windows,
    each compared with the whole reference)."""

    ref_grouped: bool
    cur_grouped: bool

    @property
    def grouped(self) -> bool:
        return self.ref_grouped or self.cur_grouped

    @property
    def sides_grouped(self) -> tuple[bool, bool]:
        return self.ref_grouped, self.cur_grouped

    def sides(self, reference: ir.Table, current: ir.Table) -> tuple[tuple[int, ir.Table, bool], ...]:
        return (0, reference, self.ref_grouped), (1, current, self.cur_grouped)

    def keys(self, own: bool, *more: str) -> list[str]:
        return [_G, *more] if own else list(more)

    def pick(self, frame: pd.DataFrame, side: int, group: Any) -> pd.DataFrame:
        """The rows of one side for one group (a side without groups has one group, NULL)."""
        own = self.ref_grouped if side == 0 else self.cur_grouped
        mine = frame[frame["side"] == side]
        return mine[mine[_G] == group] if own else mine

    def finish(self, part: ir.Table, own: bool, *columns: str, **values: Any) -> ir.Table:
        """Select ``columns`` (with the group key when any side has one: NULL for a side without)."""
        if self.grouped and not own:
            part = part.mutate(**{_G: ibis.null("string")})
        return part.select(*([_G] if self.grouped else []), *columns, **values)


def _present(table: ir.Table, column: str) -> ir.BooleanValue:
    """Whether the row has a value in ``column`` (not NULL, not NaN)."""
    raw = table[column]
    present: ir.BooleanValue = raw.notnull()
    if raw.type().is_floating():
        present &= ~raw.isnan()
    return present


def _union(parts: list[ir.Table]) -> ir.Table:
    """UNION ALL as a balanced tree (Ibis compiles a long left-deep chain more slowly)."""
    while len(parts) > 1:
        parts = [parts[i].union(parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


def _summary(table: ir.Table, spec: _Spec, grouped: bool) -> pd.DataFrame:
    """Rows, and per numeric column the minimum and maximum (NaN when the column holds a NaN)."""
    aggs: dict[str, Any] = {"rows": table.count()}
    for i, column in enumerate(spec.numeric):
        aggs[f"lo{i}"], aggs[f"hi{i}"] = table[column].min().cast("float64"), table[column].max().cast("float64")
    frame = _fetch(table.group_by(_G).aggregate(**aggs) if grouped else table.aggregate(**aggs))
    return frame if grouped else frame.assign(**{_G: None})


SUB = 4096
"""A dense fine bin is split into at most this many sub-bins; bin keys are ``bin * SUB + sub_bin``."""
SPLIT_SHARE = 0.05
"""Dense bins of a column are split only when the bins left undecided hold this share of its rows (below it,
re-reading them row by row costs less than another grouped count)."""


@dataclass(frozen=True, slots=True)
class _Grid:
    """Fine bins of one numeric column: ``floor((x - low) / width)`` clipped to ``[0, count - 1]``."""

    low: float
    width: float
    count: int

    def of(self, x: ir.FloatingValue) -> ir.IntegerValue:
        if self.width <= 0:
            return ibis.literal(0, "int64")
        # least/greatest, not clip: Ibis compiles clip to NULL-guarding CASEs that repeat the floor six times
        return ibis.least(ibis.greatest(((x - self.low) / self.width).floor(), 0), self.count - 1).cast("int64")


def _grids(reference: ir.Table, current: ir.Table, spec: _Spec, summaries: list[pd.DataFrame],
           groups: int) -> list[_Grid]:
    """Equal-width fine bins over each numeric column's range in both tables (fewer when there are many groups)."""
    count = max(1024, min(spec.resolution, 2**18 // max(1, groups)))
    grids = []
    for i, column in enumerate(spec.numeric):
        lows = pd.concat([s[f"lo{i}"] for s in summaries]).astype(float)
        highs = pd.concat([s[f"hi{i}"] for s in summaries]).astype(float)
        if highs.isna().any() and not lows.isna().all():
            # a NaN (the largest float to DuckDB and Spark): ask again without NaN
            valid = [t.filter(_present(t, column)) for t in (reference, current)]
            found = [v.aggregate(lo=v[column].min(), hi=v[column].max()).execute() for v in valid]
            lows, highs = pd.concat([f["lo"] for f in found]), pd.concat([f["hi"] for f in found])
        low, high = float(lows.min()), float(highs.max())
        width = (high - low) / count if high > low else 0.0
        grids.append(_Grid(low if math.isfinite(low) else 0.0, width if math.isfinite(width) else 0.0, count))
    return grids


def _keyed(table: ir.Table, own: bool, layout: _Layout, column: str, i: int, grid: _Grid,
           split: ir.Table | None, span: tuple[float, float] | None) -> tuple[ir.Table, Any, Any, Any]:
    """The rows with a value in ``column`` (within ``span``), and expressions on them for the value ``x``, its
    bin ``key`` and the bin's edge ``e``. With ``split`` (bins ``b`` of column ``col`` with ``lo``, ``inv``,
    ``s``), only the rows of those bins, keyed by sub-bin ``floor((x - lo) * inv)``. As few relations as can
    be: building and compiling Ibis expressions costs more here than DuckDB running them."""
    present = _present(table, column)
    if span is not None:
        present &= table[column].cast("float64").between(*span)
    base = table.filter(present)
    x = base[column].cast("float64")
    if split is None:
        b = grid.of(x)
        return base, x, b * SUB, grid.low + b.cast("float64") * grid.width
    rows = base.select(*layout.keys(own), x=x, b=grid.of(x))
    joined = rows.join(split.filter(split.col == i).select("b", "lo", "inv", "s"), "b")
    sub = ibis.least(ibis.greatest(((joined.x - joined.lo) * joined.inv).floor(), 0), joined.s - 1).cast("int64")
    return joined, joined.x, joined.b * SUB + sub, joined.lo + sub.cast("float64") / joined.inv


def _span(frame: pd.DataFrame) -> tuple[float, float]:
    return float(frame["low"].min()), float(frame["high"].max())


def _histograms(reference: ir.Table, current: ir.Table, layout: _Layout, spec: _Spec, grids: list[_Grid],
                split: pd.DataFrame | None = None) -> dict[tuple[Any, ...], pd.DataFrame]:
    """Per numeric column, side and group (the keys of the result) and bin: count, sum of ``x - edge`` (and of its
    square on the reference side), min and max; with ``split``, only the rows of the bins it lists, counted in
    their sub-bins. The edges are computed again here with the same two floating-point operations."""
    split_table = ibis.memtable(split[["col", "b", "lo", "inv", "s"]]) if split is not None else None
    columns = range(len(spec.numeric)) if split is None else sorted(set(split["col"]))
    parts = []
    for side, table, own in layout.sides(reference, current):
        for i in columns:
            span = None if split is None else _span(split[split["col"] == i])
            rows, x, key, e = _keyed(table, own, layout, spec.numeric[i], i, grids[i], split_table, span)
            d = x - e
            keys = {_G: rows[_G] if own else ibis.null("string")} if layout.grouped else {}
            parts.append(rows.group_by(**keys, key=key, col=ibis.literal(i, "int64"),
                                       side=ibis.literal(side, "int64")).aggregate(
                n=rows.count(), s1=d.sum(), s2=(d * d).sum() if side == 0 else ibis.literal(0.0), low=x.min(),
                high=x.max()))
    order = ["col", "side", *([_G] if layout.grouped else []), "key"]
    hist = _execute(_union(parts).order_by(order), layout)
    bins, sub = (hist["key"] // SUB).to_numpy(), (hist["key"] % SUB).to_numpy().astype(float)
    if split is None:
        low = np.array([grid.low for grid in grids])[hist["col"].to_numpy()]
        width = np.array([grid.width for grid in grids])[hist["col"].to_numpy()]
        hist["edge"] = low + bins.astype(float) * width
    else:
        found = hist[["col"]].assign(b=bins).merge(split, on=["col", "b"], how="left")
        hist["edge"] = found["lo"].to_numpy() + sub / found["inv"].to_numpy()
    return _blocks(hist, ["col", "side", _G])


def _blocks(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], pd.DataFrame]:
    """A frame sorted by ``keys``, cut into its blocks (slices, not copies) by their key values."""
    if frame.empty:
        return {}
    change = np.zeros(len(frame), dtype=bool)
    change[0] = True
    for key in keys:
        column = frame[key]
        values = column.astype(object).where(column.notna(), None).to_numpy()  # NULL may come back as NaN
        change[1:] |= values[1:] != values[:-1]
    starts = np.flatnonzero(change)
    ends = [*starts[1:], len(frame)]
    head = frame[keys].to_numpy()[starts]
    return {tuple(_plain(v) for v in value): frame.iloc[start:end]
            for value, start, end in zip(head, starts, ends, strict=True)}


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, NULL as None (so that block keys compare and hash as expected)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _fetch(expr: ir.Table) -> pd.DataFrame:
    """Run a query and bring its (small) result over through Arrow: Ibis's own conversion to pandas costs
    more than the query here."""
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas()
    return frame


def _execute(expr: ir.Table, layout: _Layout) -> pd.DataFrame:
    """Run an aggregate; without groups, add a NULL group key."""
    frame = _fetch(expr)
    return frame if layout.grouped else frame.assign(**{_G: None})


def _exact_pass(reference: ir.Table, current: ir.Table, layout: _Layout, spec: _Spec, grids: list[_Grid],
                split: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Row by row, only in the chosen bins: running counts over the union of both samples in value order."""
    split_table = ibis.memtable(split[["col", "b", "lo", "inv", "s"]])
    chosen_table = ibis.memtable(chosen[["col", *([_G] if layout.grouped else []), "key", "off_ref", "off_cur",
                                         "n_r", "n_c"]])
    parts = []
    for side, table, own in layout.sides(reference, current):
        for i in sorted(set(chosen["col"])):
            mine = split[split["col"] == i]
            rows, x, key, _ = _keyed(table, own, layout, spec.numeric[i], i, grids[i],
                                     split_table if (mine["s"] > 1).any() else None, _span(chosen[chosen["col"] == i]))
            bins = chosen_table.filter(chosen_table.col == i)
            # a reference without groups joins on the bin alone: its rows go to every group that chose the bin
            on = [key == bins.key, *([rows[_G] == bins[_G]] if own and layout.grouped else [])]
            joined = rows.join(bins, on)
            parts.append(joined.select(*([bins[_G]] if layout.grouped else []), col=bins.col, x=x, key=bins.key,
                                       off_ref=bins.off_ref, off_cur=bins.off_cur, n_r=bins.n_r, n_c=bins.n_c,
                                       is_r=ibis.literal(1 - side, "int64"), is_c=ibis.literal(side, "int64")))
    return _running(_union(parts), layout, spec.bins)


def _running(rows: ir.Table, layout: _Layout, bins: int) -> pd.DataFrame:
    """Running counts of both samples in value order per column and group (ties together), and per chosen bin
    and PSI level: extremes of ``R n_cur - C n_ref``, the integral of ``|F_ref - F_cur|``, the first value."""
    keys = [rows.col, *([rows[_G]] if layout.grouped else [])]
    running = ibis.range_window(group_by=keys, order_by=rows.x, preceding=None, following=0)
    ordered = ibis.window(group_by=keys, order_by=rows.x)
    rows = rows.mutate(r=rows.off_ref + rows.is_r.sum().over(running), c=rows.off_cur + rows.is_c.sum().over(running),
                       nx=rows.x.lead().over(ordered), nk=rows.key.lead().over(ordered))
    rows = rows.mutate(level=((rows.r * bins) / rows.n_r).floor().cast("int64"),
                       diff=rows.r * rows.n_c - rows.c * rows.n_r,
                       gap=(rows.nk == rows.key).ifelse(
                           (rows.nx - rows.x) * (rows.r / rows.n_r - rows.c / rows.n_c).abs(), 0.0))
    return _execute(rows.group_by(layout.keys(layout.grouped, "col", "key", "level")).aggregate(
        dmax=rows["diff"].max(), dmin=rows["diff"].min(), w_in=rows.gap.sum(), x0=rows.x.min(), r0=rows.r.min(),
        c0=rows.c.min()), layout).rename(columns={"key": "b"})


def _category_counts(reference: ir.Table, current: ir.Table, layout: _Layout, spec: _Spec) -> pd.DataFrame:
    """Counts per column, group, side and value, the values beyond the most frequent ones as NULL (other)."""
    parts = []
    for side, table, own in layout.sides(reference, current):
        for i, column in enumerate(spec.categorical):
            value = table[column].cast("string")
            base = table.filter(value.notnull()).select(*layout.keys(own), value=value)
            counts = base.group_by(layout.keys(own, "value")).aggregate(n=base.count())
            parts.append(layout.finish(counts, own, "value", "n", col=ibis.literal(i, "int64"),
                                       side=ibis.literal(side, "int64")))
    union = _union(parts)
    union = union.mutate(total=union.n.sum().over(ibis.window(group_by=[union.col, union.value])))
    rank = ibis.dense_rank().over(ibis.window(group_by=union.col, order_by=[union.total.desc(), union.value]))
    union = union.mutate(value=(rank < spec.max_categories).ifelse(union.value, ibis.null("string")))
    keys = layout.keys(layout.grouped, "col", "side", "value")
    return _execute(union.group_by(keys).aggregate(n=union.n.sum()), layout)


# ---------------------------------------------------------------- assembling the rows


def _drift(reference: ir.Table, current: ir.Table, layout: _Layout, spec: _Spec) -> pd.DataFrame:
    summaries = [_summary(reference, spec, layout.ref_grouped), _summary(current, spec, layout.cur_grouped)]
    for name, summary in zip(("reference", "current"), summaries, strict=True):
        if int(summary["rows"].sum()) == 0:
            raise ParameterError.invalid(name, "a table with at least one row", "an empty table")
    groups = sorted({g for s, own in zip(summaries, (layout.ref_grouped, layout.cur_grouped), strict=True) if own
                     for g in s[_G]}) if layout.grouped else [None]
    rows_of = {(side, g): int(n) for side, s in enumerate(summaries) for g, n in zip(s[_G], s["rows"], strict=True)}
    n_rows = {g: (rows_of.get((0, g if layout.ref_grouped else None), 0),
                  rows_of.get((1, g if layout.cur_grouped else None), 0)) for g in groups}
    rows: list[dict[str, Any]] = []
    if spec.numeric:
        rows += _numeric_rows(reference, current, layout, spec, summaries, groups, n_rows)
    if spec.categorical:
        counts = _category_counts(reference, current, layout, spec)
        rows += _categorical_rows(counts, layout, spec, groups, n_rows)
    frame = pd.DataFrame(rows, columns=[*RESULT_COLUMNS, _G])
    order = {c: i for i, c in enumerate((*spec.numeric, *spec.categorical))}
    frame = frame.assign(_order=frame["column"].map(order)).sort_values([_G, "_order"], kind="stable")
    return frame.reset_index(drop=True)[[*RESULT_COLUMNS[:1], _G, *RESULT_COLUMNS[1:]]]


def _row(spec: _Spec, column: str, group: Any, kind: str, method: str, statistic: float, effect: float,
         p_value: float, n_ref: int, n_cur: int, details: dict[str, Any]) -> dict[str, Any]:
    threshold = spec.thresholds[method]
    drifted = bool(effect > threshold and p_value < spec.alpha)
    return {"column": column, "role": spec.roles.get(column, "feature"), "kind": kind, "method": method,
            "statistic": statistic, "effect_size": effect, "threshold": threshold, "p_value": p_value,
            "drifted": drifted, "n_reference": n_ref, "n_current": n_cur, "details": details, _G: group}


def _undefined(spec: _Spec, column: str, group: Any, kind: str, n_ref: int, n_cur: int) -> dict[str, Any]:
    side = "reference" if n_ref == 0 else "current"
    where = "" if group is None else f" in {group}"
    warnings.warn(f"drift of {column!r}{where} is undefined: no values on the {side} side; NaN returned",
                  RuntimeWarning, stacklevel=5)
    method = (spec.numeric_method or "wasserstein") if kind == "numeric" else spec.categorical_method
    return _row(spec, column, group, kind, method, math.nan, math.nan, math.nan, n_ref, n_cur,
                {"note": f"no values on the {side} side"})


def _numeric_rows(reference: ir.Table, current: ir.Table, layout: _Layout, spec: _Spec,
                  summaries: list[pd.DataFrame], groups: list[Any],
                  n_rows: Mapping[Any, tuple[int, int]]) -> list[dict[str, Any]]:
    """Fine bins; dense undecided bins split into sub-bins by their mass; an exact pass over what stays
    undecided; then the statistics of every column and group."""
    grids = _grids(reference, current, spec, summaries, len(groups))
    hist = _histograms(reference, current, layout, spec, grids)
    pairs = [(i, g) for i in range(len(spec.numeric)) for g in groups]
    tables = {pair: table for pair in pairs if (table := _bin_table(layout, hist, *pair)) is not None}
    stds = {pair: ds.binned_std(*(table[c].to_numpy() for c in ("n_ref", "edge", "sum_ref", "sq_ref")))
            for pair, table in tables.items()}

    def scan(pair: tuple[int, Any]) -> ds.BinScan:
        budget = spec.wasserstein_tolerance * stds[pair] if math.isfinite(stds[pair]) else 0.0
        return ds.scan_bins(tables[pair], spec.bins, budget)

    scans = {pair: scan(pair) for pair in tables}
    split = ds.split_dense(scans, SUB, 2 * spec.resolution, [(g.low, g.width) for g in grids], SPLIT_SHARE)
    if len(split[split["s"] > 1]):
        finer = _histograms(reference, current, layout, spec, grids, split[split["s"] > 1])
        for pair in scans:
            table = _bin_table(layout, finer, *pair, either=True)
            if table is not None:
                mine = split[(split["col"] == pair[0]) & (split["s"] > 1)]
                tables[pair] = ds.replace_bins(tables[pair], table, set(mine["b"]), SUB)
                scans[pair] = scan(pair)
    chosen = [scan.exact.assign(col=i, **{_G: g, "n_r": scan.n_ref, "n_c": scan.n_cur}).rename(columns={"b": "key"})
              for (i, g), scan in scans.items() if len(scan.exact)]
    exact = pd.DataFrame()
    if chosen:
        keys = pd.concat(chosen)
        exact = _exact_pass(reference, current, layout, spec, grids, ds.split_of(keys, split, SUB), keys)
    by_pair: dict[tuple[int, Any], pd.DataFrame] = {}
    if len(exact):
        parts = exact.groupby(["col", _G]) if layout.grouped else exact.groupby(["col", exact["col"] * 0])
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
        stats = ds.finish_numeric(scans[(i, g)], by_pair.get((i, g), exact.iloc[:0]), stds[(i, g)])
        rows.append(_numeric_row(spec, column, g, stats, stds[(i, g)], n_rows[g]))
    return rows


def _bin_table(layout: _Layout, hist: Mapping[tuple[Any, ...], pd.DataFrame], i: int, g: Any,
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


def _numeric_row(spec: _Spec, column: str, g: Any, stats: ds.NumericStats, std: float,
                 n_rows: tuple[int, int]) -> dict[str, Any]:
    method = spec.numeric_method or ("ks" if min(stats.n_reference, stats.n_current) < SMALL_SAMPLE
                                     else "wasserstein")
    effects = {"wasserstein": stats.wasserstein_normalised, "ks": stats.ks, "psi": stats.psi,
               "jensen_shannon": stats.jensen_shannon}
    details = {
        "effects": effects, "ks": stats.ks, "ks_p_value": stats.ks_p_value, "ks_p_method": stats.ks_p_method,
        "wasserstein": stats.wasserstein, "wasserstein_normalised": stats.wasserstein_normalised,
        "wasserstein_bound": stats.wasserstein_bound, "reference_std": std, "psi": stats.psi,
        "jensen_shannon": stats.jensen_shannon,
        "psi_edges": list(stats.edges), "reference_counts": list(stats.reference_counts),
        "current_counts": list(stats.current_counts),
        "reference_missing": _share(n_rows[0] - stats.n_reference, n_rows[0]),
        "current_missing": _share(n_rows[1] - stats.n_current, n_rows[1]),
        "log_base": {"psi": "e", "jensen_shannon": 2}}
    statistic = stats.wasserstein if method == "wasserstein" else effects[method]
    return _row(spec, column, g, "numeric", method, statistic, effects[method], stats.ks_p_value,
                stats.n_reference, stats.n_current, details)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def _categorical_rows(counts: pd.DataFrame, layout: _Layout, spec: _Spec, groups: list[Any],
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
                "reference_missing": _share(n_rows[g][0] - n_ref, n_rows[g][0]),
                "current_missing": _share(n_rows[g][1] - n_cur, n_rows[g][1]),
                "log_base": {"psi": "e", "jensen_shannon": 2}}
            statistic = test.statistic if method == "chi_square" else effects[method]
            rows.append(_row(spec, column, g, "categorical", method, statistic, effects[method], test.p_value,
                             n_ref, n_cur, details))
    return rows
