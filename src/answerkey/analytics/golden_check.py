"""``golden check``: is every gold answer itself trustworthy? Execute it and look for the ways gold goes wrong."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any

from sqlglot.errors import SqlglotError

from answerkey.analytics.compare import CompareOptions, ResultTable, compare_results
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.sql import expand_alternatives, order_key_query
from answerkey.analytics.translate import TranslationError, translate_gold
from answerkey.analytics.warehouse import ExecutionError, Warehouse
from answerkey.findings import Finding, Severity

__all__ = ["check_golden", "check_question", "representation_difference"]


def _finding(check: str, question: GoldenQuestion, what: str, severity: Severity = Severity.ERROR,
             **evidence: object) -> Finding:
    return Finding(check=f"golden.{check}", what=what, where=f"question {question.id}", severity=severity,
                   evidence=dict(evidence))


def check_question(question: GoldenQuestion, warehouse: Warehouse) -> list[Finding]:
    """Every finding about one question's gold."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if question.unanswerable or question.expected is not None:
        return []
    findings: list[Finding] = []
    results: list[tuple[str, ResultTable]] = []
    for alternative in question.alternatives():
        try:
            sql = translate_gold(alternative, question.dialect, warehouse.dialect)
            result = warehouse.execute(sql)
        except (ExecutionError, TranslationError) as error:
            reason = error.reason if isinstance(error, ExecutionError) else str(error)
            findings.append(_finding("gold_error", question, f"gold query fails: {reason}", sql=alternative))
            continue
        results.append((alternative, result))
        if not result.rows:
            findings.append(_finding("gold_empty", question, "gold query returns no rows: every empty answer "
                                     "passes", Severity.WARNING, sql=alternative))
        try:
            again = warehouse.execute_fresh(sql)  # rows only: an order that changes is an order_ties finding
        except ExecutionError as failure:
            findings.append(_finding("gold_unstable", question, f"gold query fails when run again: {failure.reason}",
                                     sql=alternative))
        else:
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
    except (SqlglotError, RecursionError):
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
    """Gold statements (each with all its columns) that do not give the same result: an error when they differ
    in content, a warning when they differ only in representation (see :func:`representation_difference`)."""
    per_statement: dict[int, tuple[str, ResultTable]] = {}
    for statement_index, statement in enumerate(question.gold_sql):
        matching = [(sql, result) for sql, result in results if sql in expand_alternatives(statement)]
        if matching:
            per_statement[statement_index] = matching[-1]  # the expansion with every alternative column
    statements = list(per_statement.values())
    if len(statements) < 2:
        return []
    first_sql, first = statements[0]
    findings = []
    for other_sql, other in statements[1:]:
        comparison = compare_results(first, other, CompareOptions(order="unordered"))
        if comparison.passed:
            continue
        differs = representation_difference(first, other)
        if differs is None:
            return [_finding("alternatives_disagree", question, f"gold alternatives disagree: {comparison.reason}",
                             Severity.ERROR, first=first_sql, other=other_sql)]
        findings.append(_finding("alternatives_differ_in_representation", question, "gold alternatives give the "
                                 f"same result in different representations: {differs}", Severity.WARNING,
                                 first=first_sql, other=other_sql))
    return findings


# -- the same result up to representation -----------------------------------------------------------------

_MONTH, _DAY, _INSTANT = 1, 2, 3
"""Precisions of a temporal cell, coarse to fine."""
_PRECISION_NAMES = {_MONTH: "month", _DAY: "day"}
_ISO_MONTH = re.compile(r"\d{4}-\d{2}")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
MAX_COLUMN_MATCHINGS = 5_000
"""Column matchings tried before two results are called different (only look-alike columns multiply them)."""


def _temporal(value: Any) -> tuple[dt.datetime, int, str] | None:
    """A temporal-looking cell as (instant, precision, what it is), or None."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value, _INSTANT, "a timestamp"
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), _DAY, "a date"
    if not isinstance(value, str):
        return None
    try:
        if _ISO_MONTH.fullmatch(value):
            return dt.datetime.strptime(value, "%Y-%m"), _MONTH, "'YYYY-MM' text"
        if _ISO_DAY.fullmatch(value):
            return dt.datetime.strptime(value, "%Y-%m-%d"), _DAY, "'YYYY-MM-DD' text"
        if _ISO_TIME.fullmatch(value):
            return dt.datetime.fromisoformat(value), _INSTANT, "timestamp text"
    except ValueError:
        return None
    return None


def _number(value: Any) -> float | None:
    """A numeric cell as a float, or None (a boolean is not a number here)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return None


def _column_kind(values: list[Any]) -> tuple[str, int, str]:
    """A column's kind (``temporal``, ``number`` or ``other``), its precision (the coarsest of its temporal
    cells) and what its values are, from its non-NULL cells."""
    present = [v for v in values if v is not None]
    temporal = [_temporal(v) for v in present]
    if present and all(t is not None for t in temporal):
        kinds = sorted({t[2] for t in temporal if t is not None})
        return "temporal", min(t[1] for t in temporal if t is not None), " or ".join(kinds)
    if present and all(_number(v) is not None for v in present):
        kinds = sorted({{int: "integers", float: "floats"}.get(type(v), "decimals") for v in present})
        return "number", 0, " and ".join(kinds)
    return "other", 0, "values"


def _cell(value: Any, kind: str, precision: int) -> Hashable:
    """A cell as compared: a temporal one truncated to ``precision``, a number to 9 significant digits."""
    if value is None:
        return None
    if kind == "temporal":
        temporal = _temporal(value)
        assert temporal is not None
        instant = temporal[0]
        return ((instant.year, instant.month) if precision == _MONTH else instant.date() if precision == _DAY
                else instant)
    if kind == "number":
        number = _number(value)
        assert number is not None
        return "NaN" if math.isnan(number) else float(f"{number:.9g}")
    return value if isinstance(value, Hashable) else repr(value)


def representation_difference(first: ResultTable, other: ResultTable) -> str | None:
    """What differs between two results that are the same up to representation, or None when they are not.

    The same up to representation: as many rows and columns, and a one-to-one matching of columns under which
    the rows are the same multiset once each cell is mapped: temporal-looking cells (dates, timestamps, ISO text
    ``'YYYY-MM-DD[ HH:MM[:SS]]'`` and ``'YYYY-MM'``) to instants truncated to the coarser precision of the two
    columns (a ``'YYYY-MM'`` column against a date column compares months; a midnight timestamp equals its
    date), numbers to numbers (int 3 = float 3.0 = Decimal 3, to 9 significant digits), anything else as it
    is. Defog's alternatives differ so on purpose (a month as DATE, TIMESTAMP or ``'YYYY-MM'`` text).

    >>> representation_difference(ResultTable(["m", "n"], [("2024-01", 3)]),
    ...                           ResultTable(["m", "n"], [(dt.date(2024, 1, 1), 3.0)])).split("; ")
    ["column 'm': 'YYYY-MM' text against a date, compared by month", "column 'n': integers against floats"]
    """
    width = len(first.columns)
    if width != len(other.columns) or len(first.rows) != len(other.rows):
        return None
    first_kinds = [_column_kind([row[i] for row in first.rows]) for i in range(width)]
    other_kinds = [_column_kind([row[j] for row in other.rows]) for j in range(width)]

    def precision(i: int, j: int) -> int:
        return min(first_kinds[i][1], other_kinds[j][1])

    def cells(table: ResultTable, index: int, kind: str, level: int) -> list[Hashable]:
        return [_cell(row[index], kind, level) for row in table.rows]

    candidates = [[j for j in range(width) if first_kinds[i][0] == other_kinds[j][0] and
                   Counter(cells(first, i, first_kinds[i][0], precision(i, j))) ==
                   Counter(cells(other, j, other_kinds[j][0], precision(i, j)))] for i in range(width)]
    for matching in itertools.islice(_matchings(candidates), MAX_COLUMN_MATCHINGS):
        left = Counter(zip(*(cells(first, i, first_kinds[i][0], precision(i, j)) for i, j in enumerate(matching)),
                           strict=True))
        right = Counter(zip(*(cells(other, j, other_kinds[j][0], precision(i, j)) for i, j in enumerate(matching)),
                            strict=True))
        if left == right or width == 0:
            return _differences(first, matching, first_kinds, other_kinds)
    return None


def _matchings(candidates: list[list[int]]) -> Any:
    """Every one-to-one choice of a candidate per position."""
    for choice in itertools.product(*candidates):
        if len(set(choice)) == len(choice):
            yield choice


def _differences(first: ResultTable, matching: Sequence[int], first_kinds: list[tuple[str, int, str]],
                 other_kinds: list[tuple[str, int, str]]) -> str:
    """What the matched columns differ in: the kind of their values, how they were compared, their order."""
    parts = []
    for i, j in enumerate(matching):
        (_, first_level, first_what), (_, other_level, other_what) = first_kinds[i], other_kinds[j]
        if first_what != other_what:
            level = min(first_level, other_level)
            by = f", compared by {_PRECISION_NAMES[level]}" if level in _PRECISION_NAMES else ""
            parts.append(f"column {first.columns[i]!r}: {first_what} against {other_what}{by}")
    if list(matching) != sorted(matching):
        parts.append("the columns in another order")
    return "; ".join(parts) or "the same values, within 9 significant digits"


def check_golden(questions: Sequence[GoldenQuestion], warehouse: Warehouse,
                 on_progress: Callable[[int, int], None] | None = None) -> list[Finding]:
    """Findings for every question, in question order."""
    findings = []
    for done, question in enumerate(questions, start=1):
        findings.extend(check_question(question, warehouse))
        if on_progress:
            on_progress(done, len(questions))
    return findings
