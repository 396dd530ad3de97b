"""A frozen clock: SQL whose ``CURRENT_DATE`` or ``now()`` is one fixed instant, so gold and answer see the same
"today" and a run gives the same rows tomorrow."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlglot import exp
from sqlglot.errors import SqlglotError

from answerkey.analytics.sql import parse_one
from answerkey.errors import ParameterError

__all__ = ["freeze_clock", "parse_as_of", "uses_clock"]

_DATE_NODES: tuple[type[exp.Expr], ...] = (exp.CurrentDate, exp.UtcDate)
_TIME_NODES: tuple[type[exp.Expr], ...] = (exp.CurrentTime, exp.Localtime, exp.UtcTime)
_TIMESTAMP_NODES: tuple[type[exp.Expr], ...] = (
    exp.CurrentTimestamp, exp.CurrentTimestampLTZ, exp.CurrentDatetime, exp.Localtimestamp, exp.Systimestamp,
    exp.UtcTimestamp)
_ANONYMOUS = {
    **dict.fromkeys(("today", "curdate", "current_date"), "DATE"),
    **dict.fromkeys(("curtime", "current_time", "localtime"), "TIME"),
    **dict.fromkeys(("now", "get_current_timestamp", "transaction_timestamp", "statement_timestamp",
                     "clock_timestamp", "getdate", "getutcdate", "sysdate", "sysdatetime", "systimestamp",
                     "current_timestamp", "localtimestamp", "utc_timestamp"), "TIMESTAMP"),
}
"""Clock functions sqlglot leaves as anonymous calls in some dialects, by lower-case name, and what they return."""
_SPECIAL_VALUES: dict[str, int | None] = {"now": None, "today": 0, "yesterday": -1, "tomorrow": 1}
"""PostgreSQL's special input strings (``'now'::timestamp``): the instant itself (None) or a midnight, in days
from today."""


def uses_clock(sql: str, dialect: str) -> bool:
    """Whether ``sql`` reads the wall clock (``CURRENT_DATE``, ``now()``...); False for text sqlglot cannot read."""
    try:
        tree = parse_one(sql, dialect)
    except (SqlglotError, RecursionError):
        return False
    return any(_clock_type(node) for node in tree.walk())


def freeze_clock(sql: str, dialect: str, instant: datetime) -> str:
    """``sql`` with every clock call replaced by a typed literal of ``instant`` (naive UTC; an aware instant is
    converted), written back in ``dialect``.

    Text without a clock call, and text sqlglot cannot read, comes back unchanged (never regenerated), so a
    query that needs no freezing runs exactly as written.

    >>> freeze_clock("SELECT CURRENT_DATE - INTERVAL 7 DAY", "duckdb", datetime(2024, 5, 1, 9, 30))
    "SELECT CAST('2024-05-01' AS DATE) - INTERVAL '7' DAY"
    """
    if not isinstance(instant, datetime):
        raise ParameterError.invalid("instant", "a datetime", instant)
    try:
        tree = parse_one(sql, dialect)
    except (SqlglotError, RecursionError):
        return sql
    sites = [(node, kind) for node in tree.walk() if (kind := _clock_type(node))]
    if not sites:
        return sql
    naive = _naive_utc(instant)
    for node, kind in sites:
        if isinstance(node, exp.Cast):  # 'now'::timestamptz keeps its type, only the string is frozen
            node.this.replace(exp.Literal.string(_text(kind, _special_moment(node, naive))))
            continue
        frozen = exp.cast(exp.Literal.string(_text(kind, naive)), exp.DataType.build(kind))
        tree = frozen if node is tree else tree
        node.replace(frozen)
    return tree.sql(dialect=dialect)


def parse_as_of(text: str) -> datetime:
    """The instant ``YYYY-MM-DD`` (midnight) or an ISO 8601 datetime names, as naive UTC."""
    expected = "a date YYYY-MM-DD or an ISO 8601 datetime such as 2024-05-01T12:00:00Z"
    if not isinstance(text, str):
        raise ParameterError.invalid("as_of", expected, text)
    try:
        return _naive_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ParameterError.invalid("as_of", expected, text) from None


def _naive_utc(instant: datetime) -> datetime:
    """An aware instant in UTC without its zone; a naive one as it is (taken to be UTC already)."""
    return instant if instant.tzinfo is None else instant.astimezone(UTC).replace(tzinfo=None)


def _clock_type(node: exp.Expr) -> str | None:
    """``DATE``, ``TIME`` or ``TIMESTAMP`` when ``node`` reads the clock, else None."""
    if isinstance(node, _DATE_NODES):
        return "DATE"
    if isinstance(node, _TIME_NODES):
        return "TIME"
    if isinstance(node, _TIMESTAMP_NODES):
        return "TIMESTAMP"
    if isinstance(node, exp.Anonymous) and not node.expressions:
        return _ANONYMOUS.get(node.name.lower())
    if _special_word(node) is not None:
        to = node.args["to"]
        if to.is_type(exp.DType.DATE, exp.DType.DATE32):
            return "DATE"
        return "TIME" if to.is_type(exp.DType.TIME, exp.DType.TIMETZ) else "TIMESTAMP"
    return None


def _special_word(node: exp.Expr) -> str | None:
    """``now``, ``today``, ``yesterday`` or ``tomorrow`` when ``node`` casts that string to a date or time type."""
    if not (isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string):
        return None
    word = node.this.name.strip().lower()
    return word if word in _SPECIAL_VALUES and node.to.is_type(*exp.DataType.TEMPORAL_TYPES) else None


def _special_moment(node: exp.Expr, instant: datetime) -> datetime:
    """What a special string cast (``'yesterday'::date``) means at ``instant``."""
    days = _SPECIAL_VALUES[_special_word(node) or "now"]
    return instant if days is None else datetime.fromordinal(instant.toordinal() + days)


def _text(kind: str, instant: datetime) -> str:
    """``instant`` written as a ``DATE``, ``TIME`` or ``TIMESTAMP`` literal's string."""
    if kind == "DATE":
        return instant.date().isoformat()
    if kind == "TIME":
        return instant.time().isoformat()
    return instant.isoformat(sep=" ")
