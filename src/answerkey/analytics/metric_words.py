"""A metric's meaning in words and its compiled SQL, as the agent and people are shown it.

The words carry what SQL alone hides: the window of a cumulative metric, the grain it restarts at and which day
of a longer period it reports, an input's offset, a conversion's window and entity.
"""

from __future__ import annotations

from collections.abc import Callable

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
from answerkey.analytics.metric_model import MeasureInput, Metric, MetricInput, filters_of
from answerkey.errors import MetricQueryError

__all__ = ["depends_on", "describe_metric", "metric_sql_for_agent", "needs_time", "uses_spine"]

_AGG = {"sum": "sum", "min": "minimum", "max": "maximum", "count": "count", "count_distinct": "number of distinct",
        "sum_boolean": "number of true", "average": "average", "median": "median", "percentile": "percentile"}
_PERIOD = {"first": "its first day's value", "last": "its last day's value",
           "average": "the average of its days' values"}


def _measure(context: ContextLayer, reference: MeasureInput | None) -> str:
    if reference is None:
        return "?"
    for model in context.semantic_models:
        measure = model.measure(reference.name)
        if measure is not None:
            share = f" {measure.percentile}" if measure.percentile else ""
            words = f"{_AGG[measure.agg]}{share} of {measure.sql} in {model.table}"
            return words + "".join(f" where {f}" for f in filters_of(reference.filter))
    return f"measure {reference.name} (not in any semantic model)"


def _input(source: MetricInput) -> str:
    words = source.name + (f" as {source.alias}" if source.alias else "")
    if source.offset_window:
        words += f" as of {source.offset_window} earlier"
    if source.offset_to_grain:
        words += f" at the start of the {source.offset_to_grain}"
    return words + "".join(f" where {f}" for f in filters_of(source.filter))


def describe_metric(metric: Metric, context: ContextLayer) -> str:
    """One sentence: what the metric counts, over which window, at which grain."""
    if not metric.semantic:
        words = f"{metric.sql} over {metric.table}"
    elif metric.type == "simple":
        words = _measure(context, metric.measure)
    elif metric.type == "cumulative":
        if metric.window:
            span = f"over the trailing {metric.window} up to and including each day"
        elif metric.grain_to_date:
            span = f"from the first day of each {metric.grain_to_date} up to and including each day (it restarts " \
                   f"every {metric.grain_to_date})"
        else:
            span = "over all time up to and including each day (a running total)"
        words = (f"{_measure(context, metric.measure)}, {span}; grouped by a coarser grain than day, each period "
                 f"shows {_PERIOD[metric.period_agg]}, not a sum")
    elif metric.type == "ratio" and metric.numerator and metric.denominator:
        words = f"{_input(metric.numerator)} divided by {_input(metric.denominator)} (NULL when it is 0)"
    elif metric.type == "derived":
        words = f"{metric.expr}, with " + "; ".join(_input(m) for m in metric.metrics)
    else:
        conversion = metric.conversion
        assert conversion is not None
        within = f"within {conversion.window}" if conversion.window else "at any later time"
        base, converted = _measure(context, conversion.base_measure), _measure(context, conversion.conversion_measure)
        what = ("the share of" if conversion.calculation == "conversion_rate" else "the number of conversions among")
        words = (f"{what} base events ({base}) followed {within} by a conversion ({converted}) of the same "
                 f"{conversion.entity}; each conversion counts once, for the latest base event before it")
    return words + "".join(f"; only where {f}" for f in metric.filters())


def depends_on(metric: Metric, context: ContextLayer, holds: Callable[[Metric], bool],
               seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``holds`` is true of the metric or of any metric it is computed from (cycles stop the walk)."""
    if holds(metric):
        return True
    inner = (context.metric(name) for name in metric.inputs() if name not in seen)
    return any(m is not None and depends_on(m, context, holds, seen | {metric.name}) for m in inner)


def _offset(metric: Metric) -> bool:
    return any(m.offset_window or m.offset_to_grain for m in metric.metrics)


def needs_time(metric: Metric, context: ContextLayer) -> bool:
    """Whether the metric has no meaning without metric_time (a window, a grain to date, an offset)."""
    return depends_on(metric, context, lambda m: (m.type == "cumulative" and bool(m.window or m.grain_to_date))
                      or _offset(m))


def uses_spine(metric: Metric, context: ContextLayer) -> bool:
    """Whether computing the metric lays something over the time spine (any cumulative metric, an offset)."""
    return depends_on(metric, context, lambda m: m.type == "cumulative" or _offset(m))


def metric_sql_for_agent(metric: Metric, context: ContextLayer, dialect: str = "duckdb") -> str:
    """The metric's compiled SQL: over all time, or per day when its meaning needs a date."""
    if not metric.semantic:
        return metric.query() or ""
    group_by = ("metric_time__day",) if needs_time(metric, context) else ()
    try:
        return compile_metric_query(context, MetricQuery((metric.name,), group_by, ordered=False), dialect)
    except MetricQueryError as error:
        return f"-- does not compile: {error}"
