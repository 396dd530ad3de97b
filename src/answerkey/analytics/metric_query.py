"""Run a metric query on a warehouse: compile for its dialect, execute read-only in its sandbox."""

from __future__ import annotations

from answerkey.analytics.compare import ResultTable
from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
from answerkey.analytics.warehouse import Warehouse

__all__ = ["query_metrics"]


def query_metrics(context: ContextLayer, query: MetricQuery, warehouse: Warehouse) -> ResultTable:
    """The query's rows: ``metric_time__<grain>`` and dimension columns, then one column per metric."""
    return warehouse.execute(compile_metric_query(context, query, warehouse.dialect))
