"""``metrics query``: metrics of the context layer compiled to one SQL statement, with MetricFlow's meaning.

Each metric becomes a subquery with one column per group-by item and one for its value: a simple metric
aggregates its measure; a cumulative one lays its measure over the time spine (a trailing window, to date within a
grain, or all time) and reports a coarser period by ``period_agg``; a ratio divides two metrics computed with their
own filters; a derived metric evaluates its expression over its inputs (each with its alias, filter and offset); a
conversion metric attributes each conversion event to the latest base event of the same entity within the window.
Several metrics, or a metric's inputs, are combined on the group-by items as MetricFlow combines them
(``FULL OUTER JOIN``, then ``MAX`` per ``COALESCE`` of the keys, which keeps NULL keys together).
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.merge_subqueries import merge_subqueries
from sqlglot.optimizer.qualify import qualify

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_items import Item, check_filter, filter_items, parse_item
from answerkey.analytics.metric_joins import JoinTree, q
from answerkey.analytics.metric_model import Metric, filters_of
from answerkey.analytics.metric_stages import (
    Offset,
    Rows,
    aggregate,
    aggregated,
    interval,
    items_stage,
    non_additive,
    non_additive_columns,
    on_time_spine,
    rows_stage,
    shifted,
    spine_sql,
    touches_metric_time,
    where,
)
from answerkey.analytics.semantic_model import GRAINS, Measure, SemanticModel, TimeSpine, parse_window
from answerkey.errors import MetricQueryError

__all__ = ["MetricQuery", "compile_metric_query"]


@dataclass(frozen=True)
class MetricQuery:
    """What ``mf query`` takes: metrics, group-by names, where-templates, order (``-name`` descending), limit."""

    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    ordered: bool = True
    """Order by the group-by after ``order_by`` (for people); a gold leaves the order free unless it names one."""


def compile_metric_query(context: ContextLayer, query: MetricQuery, dialect: str = "duckdb") -> str:
    """The query as one SQL statement in ``dialect``; a metric, dimension or join path that cannot be found is a
    :class:`MetricQueryError` naming it."""
    sql = _Compiler(context).query(query)
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError as error:
        raise MetricQueryError(f"the compiled SQL does not parse ({error}); check the expressions and filters of "
                               f"{', '.join(query.metrics)}") from None
    with contextlib.suppress(SqlglotError):  # stages that only pass columns on are merged away, for readers
        tree = merge_subqueries(qualify(tree.copy(), dialect="duckdb", validate_qualify_columns=False))
    return tree.sql(dialect=dialect, pretty=True)


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(sorted(known)) or 'none'})"


class _Compiler:
    def __init__(self, context: ContextLayer) -> None:
        self.context = context
        self.models = context.semantic_models
        self.measures = {m.name: (model, m) for model in self.models for m in model.measures}

    # --- lookups
    def metric(self, name: str) -> Metric:
        metric = self.context.metric(name)
        if metric is None:
            raise MetricQueryError(f"metric {name!r} is not defined" + _suggest(name, [m.name for m in
                                                                                     self.context.metrics]))
        return metric

    def measure(self, name: str, metric: str) -> tuple[SemanticModel, Measure]:
        if name not in self.measures:
            raise MetricQueryError(f"metric {metric}: measure {name!r} is in no semantic model"
                                   + _suggest(name, list(self.measures)))
        return self.measures[name]

    def spine(self, metric: str, why: str) -> TimeSpine:
        if self.context.time_spine is None:
            raise MetricQueryError(f"metric {metric}: {why} needs a time spine; add context/time_spine.yaml with "
                                   "a table of days (table, column) or a range (start, end)")
        return self.context.time_spine

    @staticmethod
    def checked(value: str | list[str] | None, metric: str) -> list[str]:
        """An input's filter templates, each refused unless it is one SQL condition."""
        templates = filters_of(value)
        for template in templates:
            check_filter(template, f"metric {metric}")
        return templates

    # --- the query
    def query(self, query: MetricQuery) -> str:
        if not query.metrics:
            raise MetricQueryError("a metric query needs at least one metric")
        for template in query.where:
            check_filter(template, "--where")
        items = [parse_item(name) for name in query.group_by]
        names = [i.name for i in items] + list(query.metrics)
        if len(set(names)) < len(names):
            raise MetricQueryError(f"a name is asked for twice: {', '.join(names)}")
        parts = [(self.metric_sql(self.metric(m), items, list(query.where), None, m), [m]) for m in query.metrics]
        body = self.combine(parts, items)
        order = []
        mentioned = {key.lstrip("-") for key in query.order_by}
        rest = [i.name for i in items if i.name not in mentioned] if query.ordered else []
        for key in [*query.order_by, *rest]:  # ties broken in group-by order
            column = key.lstrip("-")
            if column not in names:
                raise MetricQueryError(f"order-by {column!r} is neither a metric nor a group-by of the query"
                                       + _suggest(column, names))
            order.append(f"{q(column)}{' DESC' if key.startswith('-') else ''}")
        sql = f"SELECT {', '.join(q(n) for n in names)} FROM ({body}) AS result"
        sql += f" ORDER BY {', '.join(order)}" if order else ""
        return sql + (f" LIMIT {int(query.limit)}" if query.limit is not None else "")

    def combine(self, parts: Sequence[tuple[str, Sequence[str]]], items: Sequence[Item]) -> str:
        """Subqueries with the same group-by columns as one, as MetricFlow combines them: ``FULL OUTER JOIN`` on the
        keys, then ``GROUP BY`` their ``COALESCE`` with ``MAX`` of each value, so rows with NULL keys meet too."""
        if len(parts) == 1:
            return parts[0][0]
        keys = [i.name for i in items]
        values = [f"MAX(p{n}.{q(v)}) AS {q(v)}" for n, (_, own) in enumerate(parts) for v in own]
        if not keys:
            joined = " CROSS JOIN ".join(f"({sql}) AS p{n}" for n, (sql, _) in enumerate(parts))
            return f"SELECT {', '.join(values)} FROM {joined}"

        def merged(key: str, upto: int) -> str:
            columns = [f"p{n}.{q(key)}" for n in range(upto)]
            return columns[0] if len(columns) == 1 else f"COALESCE({', '.join(columns)})"

        joined = f"({parts[0][0]}) AS p0"
        for n, (sql, _) in enumerate(parts[1:], start=1):
            on = " AND ".join(f"{merged(k, n)} = p{n}.{q(k)}" for k in keys)
            joined += f" FULL OUTER JOIN ({sql}) AS p{n} ON {on}"
        grouped = [merged(k, len(parts)) for k in keys]
        select = [f"{g} AS {q(k)}" for g, k in zip(grouped, keys, strict=True)] + values
        return f"SELECT {', '.join(select)} FROM {joined} GROUP BY {', '.join(grouped)}"

    # --- one metric
    def metric_sql(self, metric: Metric, items: Sequence[Item], filters: list[str], offset: Offset | None,
                   output: str) -> str:
        """A subquery with a column per item and ``output``, the metric's value."""
        for template in metric.filters():
            check_filter(template, f"metric {metric.name}")
        filters = filters + metric.filters()
        if not metric.semantic:
            return self.table_metric(metric, items, filters, output)
        if metric.type in ("simple", "cumulative"):
            assert metric.measure is not None
            model, measure = self.measure(metric.measure.name, metric.name)
            filters = filters + self.checked(metric.measure.filter, metric.name)
            if metric.type == "cumulative":
                return self.cumulative(metric, model, measure, items, filters, output)
            sql = self.measure_sql(metric.name, model, measure, items, filters, offset, output)
            if metric.measure.join_to_timespine and any(i.is_metric_time for i in items):
                sql = on_time_spine(sql, self.spine(metric.name, "join_to_timespine"), items,
                                    [f for f in filters if touches_metric_time(f)], output)
            if metric.measure.fill_nulls_with is not None:
                keys = "".join(f"{q(i.name)}, " for i in items)
                sql = (f"SELECT {keys}COALESCE({q(output)}, {int(metric.measure.fill_nulls_with)}) AS {q(output)} "
                       f"FROM ({sql}) AS f")
            return sql
        if metric.type == "ratio":
            assert metric.numerator is not None
            assert metric.denominator is not None
            parts = [(self.metric_sql(self.metric(side.name), items, filters + self.checked(side.filter, metric.name),
                                      offset, column), [column])
                     for side, column in ((metric.numerator, "__num"), (metric.denominator, "__den"))]
            value = 'CAST("__num" AS DOUBLE) / CAST(NULLIF("__den", 0) AS DOUBLE)'
            return self.over(self.combine(parts, items), items, value, output)
        if metric.type == "derived":
            return self.derived(metric, items, filters, offset, output)
        return self.conversion(metric, items, filters, output)

    def over(self, sql: str, items: Sequence[Item], value: str, output: str) -> str:
        keys = "".join(f"{q(i.name)}, " for i in items)
        return f"SELECT {keys}{value} AS {q(output)} FROM ({sql}) AS c"

    def table_metric(self, metric: Metric, items: Sequence[Item], filters: list[str], output: str) -> str:
        if items or filters != metric.filters():
            raise MetricQueryError(f"metric {metric.name} is table SQL (table and sql), not built on a semantic "
                                   "model, so it cannot be grouped or filtered; define it with a measure")
        return f"SELECT {metric.sql} AS {q(output)} FROM {metric.table}" + (
            f" WHERE {' AND '.join(metric.filters())}" if metric.filter else "")

    def derived(self, metric: Metric, items: Sequence[Item], filters: list[str], offset: Offset | None,
                output: str) -> str:
        references = [i.reference for i in metric.metrics]
        if len(set(references)) < len(references):
            raise MetricQueryError(f"metric {metric.name}: two inputs are both called "
                                   f"{next(r for r in references if references.count(r) > 1)}; give one an alias")
        parts = []
        for source in metric.metrics:
            own = (Offset(window=parse_window(source.offset_window)) if source.offset_window else
                   Offset(to_grain=source.offset_to_grain) if source.offset_to_grain else None)
            if own and offset:
                raise MetricQueryError(f"metric {metric.name}: input {source.reference} is offset inside an "
                                       "offset input; nested offsets are not compiled")
            if (own or offset) and not any(i.is_metric_time for i in items):
                raise MetricQueryError(f"metric {metric.name}: input {source.reference} has a time offset, so the "
                                       "query must group by metric_time")
            sql = self.metric_sql(self.metric(source.name), items, filters + self.checked(source.filter, metric.name),
                                  own or offset, source.reference)
            parts.append((sql, [source.reference]))
        return self.over(self.combine(parts, items), items, f"({metric.expr})", output)

    # --- measures
    def needed(self, items: Sequence[Item], filters: Sequence[str]) -> tuple[list[Item], list[Item]]:
        """The non-time items the rows must carry and the metric_time items, from group-by and filters."""
        every = list(items) + [i for f in filters for i in filter_items(f)]
        unique = list({i.name: i for i in every}.values())
        return [i for i in unique if not i.is_metric_time], [i for i in unique if i.is_metric_time]

    def base_grain(self, name: str, model: SemanticModel, measure: Measure, time_items: Sequence[Item]) -> str:
        time = model.time_dimension_of(measure)
        if time is None and time_items:
            raise MetricQueryError(f"metric {name}: measure {measure.name} has no agg_time_dimension (semantic "
                                   f"model {model.name}), so it cannot be grouped or filtered by metric_time")
        grain = (time.granularity if time else None) or "day"
        for item in time_items:
            if item.grain is not None and GRAINS.index(item.grain) < GRAINS.index(grain):
                raise MetricQueryError(f"metric {name}: {item.name} is finer than measure {measure.name}'s time "
                                       f"grain ({grain}, {model.name}.{time.name if time else '?'})")
        return grain

    def rows(self, name: str, model: SemanticModel, measure: Measure, needed: Sequence[Item],
             row_filters: Sequence[str], extra: dict[str, str] | None = None) -> tuple[str, tuple[str, ...]]:
        """The rows stage, with ``Metric(...)`` filter items joined in as columns."""
        plain = [i for i in needed if i.kind != "metric"]
        keys = [parse_item(g) for i in needed if i.kind == "metric" for g in i.group_by]
        carried_keys = [k for k in keys if k.name not in {p.name for p in plain}]
        rows = rows_stage(JoinTree(model, self.models, name), model, measure, [*plain, *carried_keys], [], extra)
        sql, carried = rows.sql, rows.carried
        for number, item in enumerate(i for i in needed if i.kind == "metric"):
            group = [parse_item(g) for g in item.group_by]
            inner = self.metric_sql(self.metric(item.target), group, [], None, item.name)
            on = " AND ".join(f"r.{q(g.name)} = m{number}.{q(g.name)}" for g in group)
            sql = (f"SELECT r.*, m{number}.{q(item.name)} FROM ({sql}) AS r "
                   f"LEFT OUTER JOIN ({inner}) AS m{number} ON {on}")
            carried += (item.name,)
        return where(sql, row_filters), carried

    def measure_sql(self, name: str, model: SemanticModel, measure: Measure, items: Sequence[Item],
                    filters: Sequence[str], offset: Offset | None, output: str) -> str:
        needed, time_items = self.needed(items, filters)
        grain = self.base_grain(name, model, measure, time_items)
        row_filters = [f for f in filters if not touches_metric_time(f)]
        extra = non_additive_columns(model, measure, name)
        sql, carried = self.rows(name, model, measure, needed, row_filters, extra)
        carried += tuple(extra)
        if offset is not None:
            finest = min((i.grain or grain for i in time_items), key=GRAINS.index, default=grain)
            sql = shifted(Rows(sql, carried), self.spine(name, "a time offset"), offset, finest).sql
        staged = items_stage(sql, carried, time_items, [f for f in filters if touches_metric_time(f)], grain)
        return aggregated(non_additive(staged, measure, items), items, aggregate(measure, '"__m"'), output)

    def cumulative(self, metric: Metric, model: SemanticModel, measure: Measure, items: Sequence[Item],
                   filters: Sequence[str], output: str) -> str:
        if measure.non_additive_dimension is not None:
            raise MetricQueryError(f"metric {metric.name}: a cumulative metric over measure {measure.name}, which "
                                   "has a non_additive_dimension, is not compiled")
        needed, time_items = self.needed(items, filters)
        row_filters = [f for f in filters if not touches_metric_time(f)]
        sql, _ = self.rows(metric.name, model, measure, needed, row_filters)
        if not any(i.is_metric_time for i in items):
            if metric.window or metric.grain_to_date:
                raise MetricQueryError(f"metric {metric.name} accumulates over "
                                       f"{metric.window or 'the ' + str(metric.grain_to_date) + ' to date'}, so the "
                                       "query must group by metric_time")
            return self.measure_sql(metric.name, model, measure, items, filters, None, output)
        grain = self.base_grain(metric.name, model, measure, time_items)
        spine = spine_sql(self.spine(metric.name, "a cumulative metric"))
        condition = 'r."__time" <= spine.ds'
        if metric.window:
            condition += f' AND r."__time" > spine.ds - {interval(*parse_window(metric.window))}'
        elif metric.grain_to_date:
            condition += f" AND r.\"__time\" >= DATE_TRUNC('{metric.grain_to_date}', spine.ds)"
        keys = [i.name for i in items if not i.is_metric_time]
        carried = "".join(f", r.{q(k)}" for k in keys)
        value = aggregate(measure, 'r."__m"')
        daily = (f"SELECT spine.ds AS \"__time\"{carried}, {value} AS \"__v\" "
                 f"FROM ({spine}) AS spine INNER JOIN ({sql}) AS r ON {condition} "
                 f"GROUP BY spine.ds{carried}")
        staged = items_stage(daily, keys, time_items, [f for f in filters if touches_metric_time(f)], grain,
                             values=("__v",))
        partition = ", ".join(q(i.name) for i in items)
        if all((i.grain or grain) == "day" for i in items if i.is_metric_time):  # one day a row: no period to pick in
            return f"SELECT {partition}, \"__v\" AS {q(output)} FROM ({staged}) AS d"
        window = {"first": 'FIRST_VALUE("__v")', "last": 'LAST_VALUE("__v")', "average": 'AVG("__v")'}[
            metric.period_agg]
        ordered = ' ORDER BY "__time"' if metric.period_agg != "average" else ""
        frame = " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING" if ordered else ""
        picked = (f"SELECT {partition}, {window} OVER (PARTITION BY {partition}{ordered}{frame}) AS {q(output)} "
                  f"FROM ({staged}) AS d")
        return f"SELECT {partition}, {q(output)} FROM ({picked}) AS p GROUP BY {partition}, {q(output)}"

    def conversion(self, metric: Metric, items: Sequence[Item], filters: list[str], output: str) -> str:
        params = metric.conversion
        assert params is not None
        base_model, base_measure = self.measure(params.base_measure.name, metric.name)
        conv_model, conv_measure = self.measure(params.conversion_measure.name, metric.name)
        for measure in (base_measure, conv_measure):
            if measure.non_additive_dimension is not None:
                raise MetricQueryError(f"metric {metric.name}: a conversion over measure {measure.name}, which has a "
                                       "non_additive_dimension, is not compiled")
        base_filters = filters + self.checked(params.base_measure.filter, metric.name)
        base = self.measure_sql(metric.name, base_model, base_measure, items, base_filters, None, "__base")
        needed, time_items = self.needed(items, base_filters)
        grain = self.base_grain(metric.name, base_model, base_measure, time_items)
        self.base_grain(metric.name, conv_model, conv_measure, time_items or [parse_item("metric_time")])
        extra_base: dict[str, str] = {}
        extra_conv: dict[str, str] = {}
        for side, model, extra in (("base", base_model, extra_base), ("conversion", conv_model, extra_conv)):
            entity = model.entity(params.entity)
            if entity is None:
                raise MetricQueryError(f"metric {metric.name}: the {side} measure's semantic model {model.name} has "
                                       f"no entity {params.entity!r}")
            extra["__entity"] = entity.sql
        for number, pair in enumerate(params.constant_properties):
            for model, extra, wanted in ((base_model, extra_base, pair.base_property),
                                         (conv_model, extra_conv, pair.conversion_property)):
                found = model.dimension(wanted) or model.entity(wanted)
                if found is None:
                    raise MetricQueryError(f"metric {metric.name}: constant property {wanted!r} is neither a "
                                           f"dimension nor an entity of semantic model {model.name}")
                extra[f"__p{number}"] = found.sql
        row_filters = [f for f in base_filters if not touches_metric_time(f)]
        base_rows, carried = self.rows(metric.name, base_model, base_measure, needed, row_filters, extra_base)
        conv_rows, _ = self.rows(metric.name, conv_model, conv_measure, [],
                                 self.checked(params.conversion_measure.filter, metric.name), extra_conv)
        condition = 'b."__entity" = c."__entity" AND b."__time" <= c."__time"'
        if params.window:
            condition += f' AND b."__time" > c."__time" - {interval(*parse_window(params.window))}'
        condition += "".join(f' AND b."__p{n}" = c."__p{n}"' for n in range(len(params.constant_properties)))
        kept = "".join(f", b.{q(c)}" for c in carried)
        matched = (f"SELECT b.\"__time\"{kept}, c.\"__m\", ROW_NUMBER() OVER (PARTITION BY c.\"__event\" "
                   f"ORDER BY b.\"__time\" DESC) AS \"__rank\" FROM ({base_rows}) AS b INNER JOIN "
                   f"(SELECT e.*, ROW_NUMBER() OVER () AS \"__event\" FROM ({conv_rows}) AS e) AS c ON {condition}")
        firsts = f"SELECT * FROM ({matched}) AS m WHERE \"__rank\" = 1"
        staged = items_stage(firsts, carried, time_items, [f for f in base_filters if touches_metric_time(f)], grain)
        conversions = aggregated(staged, items, aggregate(conv_measure, '"__m"'), "__conversions")
        combined = self.combine([(base, ["__base"]), (conversions, ["__conversions"])], items)
        value = ('CAST("__conversions" AS DOUBLE) / CAST(NULLIF("__base", 0) AS DOUBLE)'
                 if params.calculation == "conversion_rate" else '"__conversions"')
        return self.over(combined, items, value, output)
