"""The SQL stages a measure goes through in a metric query, each a subquery over the one before.

1. **rows**: the measure's model joined along entity paths, one row per source row, with ``__time`` (the
   measure's time at its base grain), ``__m`` (the measure's expression) and a column per dimension or entity the
   query names; filters that do not name ``metric_time`` apply here.
2. optionally **shifted** (a derived input's offset) or **windowed** (a cumulative metric) over the time spine;
3. **items**: ``metric_time__<grain>`` columns from ``__time``, and the filters that name ``metric_time``;
4. **aggregated** by the group-by items.

Text is written in DuckDB's dialect and transpiled once at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from answerkey.analytics.metric_items import Item, filter_items, render_filter
from answerkey.analytics.metric_joins import JoinTree, q, truncate
from answerkey.analytics.semantic_model import Measure, SemanticModel, TimeSpine
from answerkey.errors import MetricQueryError

__all__ = ["Offset", "Rows", "aggregate", "aggregated", "interval", "items_stage", "non_additive",
           "non_additive_columns", "on_time_spine", "rows_stage", "shifted", "spine_sql", "touches_metric_time",
           "where"]


@dataclass(frozen=True)
class Offset:
    """A derived input's time offset: ``window`` (count, unit) back, or to the start of ``to_grain``."""

    window: tuple[int, str] | None = None
    to_grain: str | None = None


@dataclass(frozen=True)
class Rows:
    """A rows stage: its SQL and the item columns it carries besides ``__time`` and ``__m``."""

    sql: str
    carried: tuple[str, ...]


def interval(count: int, unit: str) -> str:
    """An interval literal; weeks and quarters as days and months, which every engine knows."""
    if unit == "week":
        count, unit = count * 7, "day"
    elif unit == "quarter":
        count, unit = count * 3, "month"
    return f"INTERVAL {count} {unit.upper()}"


def aggregate(measure: Measure, column: str) -> str:
    """The measure's aggregation of ``column``."""
    simple = {"sum": "SUM", "min": "MIN", "max": "MAX", "count": "COUNT", "average": "AVG"}
    if measure.agg in simple:
        return f"{simple[measure.agg]}({column})"
    if measure.agg == "count_distinct":
        return f"COUNT(DISTINCT {column})"
    if measure.agg == "sum_boolean":
        return f"SUM(CAST({column} AS INTEGER))"
    function = "PERCENTILE_DISC" if measure.use_discrete_percentile else "PERCENTILE_CONT"
    share = 0.5 if measure.agg == "median" else measure.percentile
    return f"{function}({share}) WITHIN GROUP (ORDER BY {column})"


def touches_metric_time(template: str) -> bool:
    return any(item.is_metric_time for item in filter_items(template))


def where(sql: str, filters: Sequence[str]) -> str:
    """``sql`` keeping the rows every filter (a template over its columns) holds for."""
    if not filters:
        return sql
    conditions = " AND ".join(f"({render_filter(f, lambda item: q(item.name))})" for f in filters)
    return f"SELECT * FROM ({sql}) AS filtered WHERE {conditions}"


def spine_sql(spine: TimeSpine) -> str:
    """One row per day, ``ds``: the spine table's column, or a range generated in SQL."""
    if spine.table is not None:
        return f"SELECT CAST({q(spine.column)} AS DATE) AS ds FROM {spine.table}"
    last = date.fromisoformat(spine.end or "") - timedelta(days=1)
    return (f"SELECT CAST(day AS DATE) AS ds FROM generate_series(DATE '{spine.start}', "
            f"DATE '{last.isoformat()}', INTERVAL 1 DAY) AS spine_days(day)")


def rows_stage(tree: JoinTree, model: SemanticModel, measure: Measure, needed: Sequence[Item],
               row_filters: Sequence[str], extra: dict[str, str] | None = None) -> Rows:
    """The measure's rows with the columns ``needed`` and ``extra`` (name -> SQL on the measure's model)."""
    time = model.time_dimension_of(measure)
    tree.add_root_column("__time", truncate(time.granularity or "day", time.sql) if time is not None else "NULL")
    tree.add_root_column("__m", measure.sql)
    for name, sql in (extra or {}).items():
        tree.add_root_column(name, sql)
    for item in needed:
        tree.add(item)
    return Rows(where(tree.sql(), row_filters), tuple(i.name for i in needed))


def shifted(rows: Rows, spine: TimeSpine, offset: Offset, grain: str) -> Rows:
    """Rows moved forward in time: a row of day ``t`` counts on the spine day whose offset lands on ``t``.

    As in MetricFlow, an ``offset_to_grain`` reported at that same grain is the period's own value, and at any
    other ``grain`` each period takes the value of the one day its first day offsets to."""
    spine_days = f"({spine_sql(spine)}) AS spine"
    if offset.window is not None:
        condition = f"spine.ds - {interval(*offset.window)} = r.\"__time\""
    else:
        to_grain = offset.to_grain or "day"
        if grain == to_grain:
            return rows
        condition = f"{truncate(to_grain, 'spine.ds')} = r.\"__time\""
        if grain != "day":
            spine_days = f"(SELECT ds FROM ({spine_sql(spine)}) AS days WHERE {truncate(grain, 'ds')} = ds) AS spine"
    carried = "".join(f", r.{q(c)}" for c in rows.carried)
    return Rows(f"SELECT spine.ds AS \"__time\"{carried}, r.\"__m\" FROM {spine_days} "
                f"INNER JOIN ({rows.sql}) AS r ON {condition}", rows.carried)


def items_stage(sql: str, carried: Sequence[str], time_items: Sequence[Item], time_filters: Sequence[str],
                base_grain: str, values: Sequence[str] = ("__m",)) -> str:
    """``metric_time`` at each grain asked for, beside the carried columns, then the filters on it."""
    time = 's."__time"'
    times = [f"{truncate(i.grain or base_grain, time)} AS {q(i.name)}" for i in time_items]
    columns = [*times, *(f"s.{q(c)}" for c in carried), 's."__time"', *(f"s.{q(v)}" for v in values)]
    return where(f"SELECT {', '.join(columns)} FROM ({sql}) AS s", time_filters)


def non_additive_columns(model: SemanticModel, measure: Measure, metric: str) -> dict[str, str]:
    """The columns a non-additive measure's rows carry: ``__nad`` (its dimension at its grain) and one
    ``__g<i>`` per window grouping entity."""
    rule = measure.non_additive_dimension
    if rule is None:
        return {}
    dimension = model.dimension(rule.name)
    if dimension is None or dimension.type != "time":
        raise MetricQueryError(f"metric {metric}: measure {measure.name}'s non_additive_dimension {rule.name!r} is "
                               f"not a time dimension of semantic model {model.name}")
    columns = {"__nad": truncate(dimension.granularity or "day", dimension.sql)}
    for number, name in enumerate(rule.window_groupings):
        entity = model.entity(name)
        if entity is None:
            raise MetricQueryError(f"metric {metric}: measure {measure.name} groups its non-additive window by "
                                   f"entity {name!r}, which semantic model {model.name} does not have")
        columns[f"__g{number}"] = entity.sql
    return columns


def non_additive(sql: str, measure: Measure, group_by: Sequence[Item]) -> str:
    """Only the rows at the last (or first) value of the non-additive dimension within each metric_time period
    asked for and each window grouping, as MetricFlow keeps them (other dimensions do not split the window)."""
    rule = measure.non_additive_dimension
    if rule is None:
        return sql
    partition = [q(i.name) for i in group_by if i.is_metric_time]
    partition += [q(f"__g{n}") for n in range(len(rule.window_groupings))]
    over = f"PARTITION BY {', '.join(partition)}" if partition else ""
    pick = f'{rule.window_choice.upper()}(w."__nad") OVER ({over})'
    return (f'SELECT * FROM (SELECT w.*, {pick} AS "__nad_pick" FROM ({sql}) AS w) AS n '
            'WHERE "__nad" = "__nad_pick"')


def on_time_spine(sql: str, spine: TimeSpine, group_by: Sequence[Item], time_filters: Sequence[str],
                  output: str) -> str:
    """Every spine period at the metric_time grains asked for, with the metric's value where it has one
    (``join_to_timespine``); the other group-by columns come from the metric and are NULL on empty periods."""
    times = [i for i in group_by if i.is_metric_time]
    periods = ", ".join(f"{truncate(i.grain or 'day', 'ds')} AS {q(i.name)}" for i in times)
    keys = ", ".join(q(i.name) for i in times)
    spine_periods = where(f"SELECT {periods} FROM ({spine_sql(spine)}) AS days GROUP BY {keys}",
                          [f for f in time_filters if all(i.is_metric_time for i in filter_items(f))])
    columns = [f"sp.{q(i.name)}" if i.is_metric_time else f"m.{q(i.name)}" for i in group_by]
    on = " AND ".join(f"sp.{q(i.name)} = m.{q(i.name)}" for i in times)
    return (f"SELECT {', '.join([*columns, f'm.{q(output)}'])} FROM ({spine_periods}) AS sp "
            f"LEFT OUTER JOIN ({sql}) AS m ON {on}")


def aggregated(sql: str, group_by: Sequence[Item], value: str, output: str) -> str:
    """``value`` (an aggregate over the stage's columns) per group-by item, named ``output``."""
    keys = ", ".join(q(i.name) for i in group_by)
    select = f"{keys}, " if keys else ""
    group = f" GROUP BY {keys}" if keys else ""
    return f"SELECT {select}{value} AS {q(output)} FROM ({sql}) AS i{group}"
