"""Golden questions whose gold is a metric query: the metric's compiled SQL becomes their gold SQL.

One definition serves the agent (``context export``), the judge (this) and ``metrics query``: a question that
says ``"expected_metric": {"metrics": ["revenue_7d"], "group_by": ["metric_time__month"]}`` is judged against the
rows the context layer's definition gives on the warehouse, so a changed definition changes the answer key with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
from answerkey.errors import MetricQueryError, ParameterError

__all__ = ["resolve_metric_golds"]


def resolve_metric_golds(questions: Sequence[GoldenQuestion], context: ContextLayer | None,
                         dialect: str) -> list[GoldenQuestion]:
    """The questions, each ``expected_metric`` compiled into ``gold_sql`` (and its metrics added to
    ``metrics``); a metric query that cannot be compiled, or no context to compile it with, is refused."""
    resolved = []
    for question in questions:
        wanted = question.expected_metric
        if wanted is None:
            resolved.append(question)
            continue
        if context is None:
            raise ParameterError(f"question {question.id} gives its gold as expected_metric, which needs the context "
                                 "layer (--context, or a workspace with context/)")
        query = MetricQuery(tuple(wanted.metrics), tuple(wanted.group_by), tuple(wanted.where),
                            tuple(wanted.order_by), wanted.limit, ordered=bool(wanted.order_by))
        try:
            sql = compile_metric_query(context, query, dialect)
        except MetricQueryError as error:
            raise MetricQueryError(f"question {question.id}: expected_metric does not compile: {error}") from None
        metrics = list(dict.fromkeys([*question.metrics, *wanted.metrics]))
        resolved.append(question.model_copy(update={"gold_sql": [sql], "metrics": metrics, "dialect": dialect}))
    return resolved
