"""``context check`` for the semantic layer: metrics that do not compile or fail on the warehouse, entities with no
join path, filters naming what does not exist, windows and offsets with no time spine."""

from __future__ import annotations

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
from answerkey.analytics.metric_items import filter_items
from answerkey.analytics.metric_stages import spine_sql
from answerkey.analytics.metric_words import needs_time, uses_spine
from answerkey.analytics.warehouse import ExecutionError, Warehouse
from answerkey.errors import MetricQueryError
from answerkey.findings import Finding, Severity

__all__ = ["check_semantic_layer"]


def _finding(check: str, where: str, what: str, severity: Severity = Severity.ERROR, **evidence: object) -> Finding:
    return Finding(check=f"context.{check}", what=what, where=where, severity=severity, evidence=dict(evidence))


def _join_paths(context: ContextLayer) -> list[Finding]:
    findings = []
    for model in context.semantic_models:
        for entity in model.entities:
            if entity.type != "foreign":
                continue
            if not any(m.name != model.name and (e := m.entity(entity.name)) is not None and e.identifies
                       for m in context.semantic_models):
                findings.append(_finding("no_join_path", f"semantic model {model.name}, entity {entity.name}",
                                         f"foreign entity {entity.name} ({entity.sql}) has no join path: no semantic "
                                         "model holds it as primary, unique or natural"))
    return findings


def _spine_coverage(context: ContextLayer, warehouse: Warehouse) -> list[Finding]:
    """A time spine that starts after, or ends before, the data of a measure a window or offset lays over it."""
    if context.time_spine is None:
        return []
    measures = {m.measure.name for m in context.metrics if m.measure is not None and uses_spine(m, context)}
    try:
        first, last = warehouse.execute(f"SELECT MIN(ds), MAX(ds) FROM ({spine_sql(context.time_spine)}) AS s").rows[0]
    except ExecutionError as error:
        return [_finding("time_spine_fails", "time spine", f"cannot be read on the warehouse: {error}")]
    findings = []
    for model in context.semantic_models:
        for measure in model.measures:
            time = model.time_dimension_of(measure)
            if measure.name not in measures or time is None:
                continue
            try:
                low, high = warehouse.execute(f"SELECT CAST(MIN({time.sql}) AS DATE), CAST(MAX({time.sql}) AS DATE) "
                                              f"FROM {model.table}").rows[0]
            except ExecutionError:
                continue  # the metric's own check reports a table or column that is not there
            if low is not None and first is not None and (str(low) < str(first)[:10] or str(high) > str(last)[:10]):
                findings.append(_finding(
                    "time_spine_short", f"time spine, measure {measure.name}",
                    f"the spine runs {str(first)[:10]} to {str(last)[:10]} but {model.name}.{time.name} runs {low} to "
                    f"{high}: windows and offsets outside the spine are missing from metric results",
                    Severity.WARNING))
    return findings


def check_semantic_layer(context: ContextLayer, warehouse: Warehouse | None) -> list[Finding]:
    """Findings for the semantic models and metrics; with a warehouse, each metric's SQL is run on it and the time
    spine is held against the data it is laid over."""
    findings = _join_paths(context)
    if warehouse is not None:
        findings.extend(_spine_coverage(context, warehouse))
    for metric in context.metrics:
        where = f"metric {metric.name}"
        if not metric.semantic:
            continue
        if context.time_spine is None and uses_spine(metric, context):
            findings.append(_finding("no_time_spine", where, "has a window or an offset but the context has no time "
                                     "spine (context/time_spine.yaml: a table of days, or start and end dates)"))
            continue
        group_by = ("metric_time__day",) if needs_time(metric, context) else ()
        try:
            for template in metric.filters():
                filter_items(template)
            sql = compile_metric_query(context, MetricQuery((metric.name,), group_by), warehouse.dialect
                                       if warehouse else "duckdb")
        except MetricQueryError as error:
            findings.append(_finding("metric_does_not_compile", where, str(error)))
            continue
        if warehouse is not None:
            try:
                warehouse.execute(f"SELECT * FROM ({sql}) AS metric_check LIMIT 1")
            except ExecutionError as error:
                findings.append(_finding("metric_fails", where, f"its compiled SQL fails on the warehouse: {error}",
                                         sql=sql))
    return findings
