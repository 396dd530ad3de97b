"""Which missing or inconsistent context explains a wrong answer, and the fix to make.

For a wrong answer with SQL: it read a deprecated table although an endorsed one replaces it; it read tables
or columns the context never described (or the gold needs such a column); it recomputed a defined metric its
own way (the gold uses the metric's expression, the answer does not); it ignored a rule (the gold applies a
rule's SQL snippet, the answer does not); or the question exercises a metric the context does not define.
``rank_gaps`` rolls these up across a run, the gap that explains most failures first.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_model import Metric
from answerkey.analytics.metric_stages import aggregate
from answerkey.analytics.metric_words import describe_metric
from answerkey.analytics.sql import parse_one

__all__ = ["ContextGap", "answer_gaps", "metric_aggregates", "rank_gaps"]


@dataclass(frozen=True)
class ContextGap:
    """One gap: what kind, about what, and the fix."""

    kind: str
    subject: str
    fix: str


def metric_aggregates(metric: Metric, context: ContextLayer, seen: frozenset[str] = frozenset()) -> list[str]:
    """The aggregate expressions a metric is built from: its table SQL, or its measures' aggregations (through
    ratio and derived inputs)."""
    if not metric.semantic:
        return [metric.sql] if metric.sql else []
    references = [metric.measure] if metric.measure else []
    if metric.conversion is not None:
        references += [metric.conversion.base_measure, metric.conversion.conversion_measure]
    found = []
    for reference in references:
        for model in context.semantic_models:
            measure = model.measure(reference.name)
            if measure is not None:
                found.append(aggregate(measure, measure.sql))
    for name in metric.inputs():
        inner = context.metric(name)
        if inner is not None and name not in seen:
            found.extend(metric_aggregates(inner, context, seen | {metric.name}))
    return list(dict.fromkeys(found))


def _aggregates(sql: str, dialect: str | None) -> set[str]:
    tree = parse_one(sql, dialect)
    found = set()
    for node in tree.find_all(exp.AggFunc):
        copy = node.copy()
        for column in copy.find_all(exp.Column):
            column.set("table", None)
        for identifier in copy.find_all(exp.Identifier):
            identifier.set("quoted", False)
        found.add(copy.sql(dialect=dialect, normalize=True))
    return found


def answer_gaps(answer_sql: str, gold_sql: str | None, context: ContextLayer, dialect: str | None,
                question_metrics: Sequence[str] = ()) -> list[ContextGap]:
    """The context gaps that may explain this wrong answer."""
    try:
        tree = parse_one(answer_sql, dialect)
    except SqlglotError:
        return []
    gaps: list[ContextGap] = []
    aliases = {(t.alias_or_name or t.name).lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    for table in sorted(set(aliases.values())):
        entry = context.table(table)
        if entry is None:
            gaps.append(ContextGap("undescribed_table", table, f"describe table {table} (or certify the one to use)"))
        elif entry.status == "deprecated":
            replacement = context.table(entry.replacement or "")
            if replacement is not None and replacement.status in ("certified", "endorsed"):
                gaps.append(ContextGap("deprecated_table", table, f"retire table {table} from what the agent sees; "
                                       f"its {replacement.status} replacement is {replacement.name}"))
            else:
                gaps.append(ContextGap("deprecated_table", table, f"certify the replacement of deprecated table "
                                       f"{table} ({entry.replacement})"))
    gaps.extend(_undescribed_columns(tree, context))
    if gold_sql:  # what the gold needs and the context never explained, whether or not the answer used it
        with contextlib.suppress(SqlglotError):
            gaps.extend(_undescribed_columns(parse_one(gold_sql, dialect), context))
    if gold_sql:
        try:
            gold_aggregates, answer_aggregates = _aggregates(gold_sql, dialect), _aggregates(answer_sql, dialect)
        except SqlglotError:
            gold_aggregates = answer_aggregates = set()
        named = {m.casefold() for m in question_metrics}
        reported: set[str] = set()
        for metric in context.metrics:
            if named and metric.name.casefold() not in named:
                continue
            for shown in metric_aggregates(metric, context):
                try:
                    expression = next(iter(_aggregates(f"SELECT {shown} FROM t", dialect)), None)
                except SqlglotError:
                    continue
                if (expression and expression not in reported and expression in gold_aggregates
                        and expression not in answer_aggregates):
                    reported.add(expression)
                    meaning = "" if not metric.semantic else f"; it means {describe_metric(metric, context)}"
                    gaps.append(ContextGap("metric_bypassed", metric.name, f"the answer recomputed metric "
                                           f"{metric.name} its own way: make {metric.name} ({shown}{meaning}) the one "
                                           "to use, with its filters, in the rules"))
    if gold_sql:
        gaps.extend(_ignored_rules(gold_sql, answer_sql, context))
    defined = {m.name.casefold() for m in context.metrics}
    for name in question_metrics:
        if name.casefold() not in defined:
            gaps.append(ContextGap("metric_undefined", name, f"define metric {name}"))
    return list(dict.fromkeys(gaps))


_SNIPPET = re.compile(r"`([^`]+)`")


def _squeezed(sql: str) -> str:
    return " ".join(sql.casefold().replace('"', "'").split())


def _ignored_rules(gold_sql: str, answer_sql: str, context: ContextLayer) -> list[ContextGap]:
    """Rules carry their SQL in backticks (``Revenue means paid invoices: `status = 'paid'` ``): a snippet the
    gold applies and the answer does not is a rule the agent ignored."""
    gold, answer = _squeezed(gold_sql), _squeezed(answer_sql)
    gaps = []
    for line in context.rules.splitlines():
        for snippet in _SNIPPET.findall(line):
            wanted = _squeezed(snippet)
            if wanted and wanted in gold and wanted not in answer:
                gaps.append(ContextGap("rule_ignored", snippet, f"make the rule unmissable (state it where the "
                                       f"agent looks, or in a certified metric): {line.strip()}"))
    return gaps


def _undescribed_columns(tree: exp.Expr, context: ContextLayer) -> list[ContextGap]:
    aliases = {(t.alias_or_name or t.name).lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    gaps = []
    for column in tree.find_all(exp.Column):
        owner: str | None = aliases.get(column.table.lower()) if column.table else (
            next(iter(aliases.values())) if len(set(aliases.values())) == 1 else None)
        entry = context.table(owner) if owner else None
        if entry is not None and entry.status != "deprecated":
            described = entry.column(column.name)
            if described is None or not described.description.strip():
                gaps.append(ContextGap("undescribed_column", f"{entry.name}.{column.name}",
                                       f"describe column {entry.name}.{column.name}"))
    return gaps


def rank_gaps(per_question: Iterable[tuple[str, Sequence[ContextGap]]]) -> list[dict[str, object]]:
    """Gaps across a run, the one behind most wrong answers first: kind, subject, fix, questions."""
    explained: dict[ContextGap, list[str]] = defaultdict(list)
    for question_id, gaps in per_question:
        for gap in gaps:
            explained[gap].append(question_id)
    ranked = sorted(explained.items(), key=lambda item: (-len(item[1]), item[0].kind, item[0].subject))
    return [{"kind": gap.kind, "subject": gap.subject, "fix": gap.fix, "failures": len(ids), "questions": ids}
            for gap, ids in ranked]
