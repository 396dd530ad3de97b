"""``context check`` for the semantic layer: metrics that do not compile or fail on the warehouse, entities with no
join path, filters naming what does not exist, windows and offsets with no time spine."""

from __future__ import annotations

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
from answerkey.analytics.metric_items import filter_items
from answerkey.analytics.metric_words import needs_time
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


def _uses_spine(context: ContextLayer, name: str, seen: frozenset[str] = frozenset()) -> bool:
    metric = context.metric(name)
    if metric is None or name in seen:
        return False
    if metric.type == "cumulative" or any(m.offset_window or m.offset_to_grain for m in metric.metrics):
        return True
    return any(_uses_spine(context, inner, seen | {name}) for inner in metric.inputs())


def check_semantic_layer(context: ContextLayer, warehouse: Warehouse | None) -> list[Finding]:
    """Findings for the semantic models and metrics; with a warehouse, each metric's SQL is run on it."""
    findings = _join_paths(context)
    for metric in context.metrics:
        where = f"metric {metric.name}"
        if not metric.semantic:
            continue
        if context.time_spine is None and _uses_spine(context, metric.name):
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
