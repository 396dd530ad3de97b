"""``golden check``: is every gold answer itself trustworthy? Execute it and look for the ways gold goes wrong."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence

import sqlglot
from sqlglot.errors import SqlglotError

from answerkey.analytics.compare import CompareOptions, ResultTable, compare_results
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.sql import expand_alternatives, order_key_query
from answerkey.analytics.warehouse import ExecutionError, Warehouse
from answerkey.findings import Finding, Severity

__all__ = ["check_golden", "check_question"]

def _finding(check: str, question: GoldenQuestion, what: str, severity: Severity = Severity.ERROR,
             **evidence: object) -> Finding:
    return Finding(check=f"golden.{check}", what=what, where=f"question {question.id}", severity=severity,
                   evidence=dict(evidence))


def _dialect_sql(sql: str, question: GoldenQuestion, warehouse: Warehouse) -> str:
    if question.dialect and question.dialect != warehouse.dialect:
        return sqlglot.transpile(sql, read=question.dialect, write=warehouse.dialect)[0]
    return sql


def check_question(question: GoldenQuestion, warehouse: Warehouse) -> list[Finding]:
    """Every finding about one question's gold."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if question.unanswerable or question.expected is not None:
        return []
    findings: list[Finding] = []
    results: list[tuple[str, ResultTable]] = []
    for alternative in question.alternatives():
        try:
            sql = _dialect_sql(alternative, question, warehouse)
            result = warehouse.execute(sql)
        except (ExecutionError, SqlglotError) as error:
            reason = error.reason if isinstance(error, ExecutionError) else str(error).splitlines()[0]
            findings.append(_finding("gold_error", question, f"gold query fails: {reason}", sql=alternative))
            continue
        results.append((alternative, result))
        if not result.rows:
            findings.append(_finding("gold_empty", question, "gold query returns no rows: every empty answer "
                                     "passes", Severity.WARNING, sql=alternative))
        again = warehouse.execute_fresh(sql)  # rows only: an order that changes is an order_ties finding
        if not compare_results(result, again, CompareOptions(order="unordered", rtol=0, atol=0)).passed:
            findings.append(_finding("gold_unstable", question, "gold query returns different rows when run "
                                     "again", sql=alternative))
        findings.extend(_order_findings(question, alternative, sql, warehouse))
    findings.extend(_disagreeing_alternatives(question, results))
    return _first_of_each_check(findings)


def _first_of_each_check(findings: list[Finding]) -> list[Finding]:
    """One finding per check and question: column alternatives of one query share its flaws."""
    seen: set[str] = set()
    kept = []
    for finding in findings:
        if finding.check not in seen:
            seen.add(finding.check)
            kept.append(finding)
    return kept


def _order_findings(question: GoldenQuestion, alternative: str, sql: str, warehouse: Warehouse) -> list[Finding]:
    """A LIMIT that cuts through ties, and an ORDER BY whose ties leave the required order undecided."""
    try:
        keyed = order_key_query(sql, warehouse.dialect, extra_rows=True)
    except SqlglotError:
        return []
    if keyed is None:
        return []
    text, width, limit = keyed
    try:
        rows = warehouse.execute(text).rows
    except ExecutionError:
        return []
    findings = []
    keys = [row[width:] for row in rows]
    if limit is not None and len(rows) > limit >= 1 and keys[limit - 1] == keys[limit]:
        findings.append(_finding("limit_ties", question, f"LIMIT {limit} cuts through rows tied on the ORDER BY "
                                 f"key {keys[limit]!r}: which rows come back is arbitrary", sql=alternative))
    shown = rows[:limit] if limit is not None else rows
    by_key = Counter(tuple(row[width:]) for row in set(shown))
    tied = [key for key, count in by_key.items() if count > 1]
    if tied:
        findings.append(_finding("order_ties", question, f"ORDER BY leaves {len(tied)} group(s) of rows tied "
                                 "(e.g. key " + repr(tied[0]) + "): their order is arbitrary, so an ordered "
                                 "comparison can fail a right answer", Severity.WARNING, sql=alternative))
    return findings


def _disagreeing_alternatives(question: GoldenQuestion, results: Sequence[tuple[str, ResultTable]]) -> list[Finding]:
    """Gold statements (each with all its columns) that do not give the same result."""
    per_statement: dict[int, tuple[str, ResultTable]] = {}
    for statement_index, statement in enumerate(question.gold_sql):
        matching = [(sql, result) for sql, result in results if sql in expand_alternatives(statement)]
        if matching:
            per_statement[statement_index] = matching[-1]  # the expansion with every alternative column
    statements = list(per_statement.values())
    if len(statements) < 2:
        return []
    first_sql, first = statements[0]
    for other_sql, other in statements[1:]:
        comparison = compare_results(first, other, CompareOptions(order="unordered"))
        if not comparison.passed:
            return [_finding("alternatives_disagree", question, f"gold alternatives disagree: {comparison.reason}",
                             Severity.ERROR, first=first_sql, other=other_sql)]
    return []


def check_golden(questions: Sequence[GoldenQuestion], warehouse: Warehouse,
                 on_progress: Callable[[int, int], None] | None = None) -> list[Finding]:
    """Findings for every question, in question order."""
    findings = []
    for done, question in enumerate(questions, start=1):
        findings.extend(check_question(question, warehouse))
        if on_progress:
            on_progress(done, len(questions))
    return findings
