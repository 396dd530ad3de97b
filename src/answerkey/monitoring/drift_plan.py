"""The plan of a drift computation: which columns are compared, as what kind, with which methods and thresholds.

:func:`build_spec` validates the parameters of :func:`~answerkey.monitoring.drift.column_drift` and its siblings
once, at the public boundary, and returns a :class:`Spec`; :class:`Layout` says which side of the comparison
carries a group key (segments, windows). Both are read by the engine passes
(:mod:`~answerkey.monitoring.drift_histograms`) and by the assembly of result rows
(:mod:`~answerkey.monitoring.drift_rows`). Names here are shared within the package, not part of its API.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from answerkey.errors import ParameterError

__all__ = [
    "CATEGORICAL_METHODS",
    "DEFAULT_THRESHOLDS",
    "GROUP",
    "MAX_CATEGORIES",
    "NUMERIC_METHODS",
    "RESOLUTION",
    "SMALL_SAMPLE",
    "WASSERSTEIN_TOLERANCE",
    "WINDOW_CDF_TOLERANCE",
    "Layout",
    "Spec",
    "build_spec",
    "require_column",
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
WINDOW_CDF_TOLERANCE = 1e-3
"""How far per-window drift may read the two CDFs off (``cdf_tolerance`` of ``window_drift``): the KS statistic
to within 0.001 (1% of its threshold, far below a window's sampling noise) and each PSI bin's reference share to
within 0.001 of ``1 / bins``. Reading every window's CDFs exactly means re-reading rows per window; this keeps
the passes to grouped counts."""
GROUP = "__group"
"""The column that carries the group key (segment or window) through every pass; NULL where there is none."""


@dataclass(frozen=True, slots=True)
class Spec:
    """The validated parameters of one drift computation, columns split into numeric and categorical."""

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
    cdf_tolerance: float = 0.0


@dataclass(frozen=True, slots=True)
class Layout:
    """Which side carries a group key: none (one comparison), both (``by``), or the current only (windows,
    each compared with the whole reference)."""

    ref_grouped: bool
    cur_grouped: bool
    group_type: Any = "string"
    """The Ibis type (or its name) of the group key (windows on DuckDB group by the timestamp itself: casting it to text
    costs more than the count)."""

    @property
    def grouped(self) -> bool:
        return self.ref_grouped or self.cur_grouped

    @property
    def sides_grouped(self) -> tuple[bool, bool]:
        return self.ref_grouped, self.cur_grouped

    def sides(self, reference: ir.Table, current: ir.Table) -> tuple[tuple[int, ir.Table, bool], ...]:
        return (0, reference, self.ref_grouped), (1, current, self.cur_grouped)

    def keys(self, own: bool, *more: str) -> list[str]:
        return [GROUP, *more] if own else list(more)

    def pick(self, frame: pd.DataFrame, side: int, group: Any) -> pd.DataFrame:
        """The rows of one side for one group (a side without groups has one group, NULL)."""
        own = self.ref_grouped if side == 0 else self.cur_grouped
        mine = frame[frame["side"] == side]
        return mine[mine[GROUP] == group] if own else mine

    def finish(self, part: ir.Table, own: bool, *columns: str, **values: Any) -> ir.Table:
        """Select ``columns`` (with the group key when any side has one: NULL for a side without)."""
        if self.grouped and not own:
            part = part.mutate(**{GROUP: ibis.null(self.group_type)})
        return part.select(*([GROUP] if self.grouped else []), *columns, **values)


def require_column(name: str, reference: ir.Table, current: ir.Table, parameter: str) -> None:
    """Raise a :class:`~answerkey.errors.ParameterError` naming ``parameter`` unless both tables have ``name``."""
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


def build_spec(reference: Any, current: Any, columns: Sequence[str] | None, exclude: Sequence[str | None],
               categorical: Sequence[str], prediction: str | None, label: str | None, numeric_method: str | None,
               categorical_method: str, thresholds: Mapping[str, float] | None, bins: int, alpha: float,
               max_categories: int, resolution: int, wasserstein_tolerance: float,
               cdf_tolerance: float = 0.0) -> Spec:
    """Validate the parameters and choose the columns (all shared numeric, text and boolean ones but
    ``exclude`` when ``columns`` is None, plus ``prediction`` and ``label``) and the kind of each."""
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
    if not 0 <= cdf_tolerance < 1:
        raise ParameterError.invalid("cdf_tolerance", "a number from 0 (exact) to below 1", cdf_tolerance)
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
        require_column(column, reference, current, "label" if roles.get(column) == "label" else
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

    return Spec(tuple(c for c in chosen if not is_categorical(c)), tuple(c for c in chosen if is_categorical(c)),
                MappingProxyType(roles), numeric_method, categorical_method,
                MappingProxyType({**DEFAULT_THRESHOLDS, **(thresholds or {})}), bins, alpha, max_categories,
                resolution, wasserstein_tolerance, cdf_tolerance)
