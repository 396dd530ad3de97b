"""A frozen clock: SQL whose ``CURRENT_DATE`` or ``now()`` is one fixed instant, so gold and answer see the same
"today" and a run gives the same rows tomorrow.

The instant is naive UTC (an aware one is converted), and every clock reads it as UTC wall-clock time: SQLite's
``'now'`` and ``CURRENT_TIMESTAMP`` are UTC already, so ``date('now', 'localtime')`` still shifts by the machine's
zone as it would live; MySQL's ``NOW()`` becomes the UTC wall clock and ``UNIX_TIMESTAMP()`` the instant's epoch.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects import MySQL, SQLite
from sqlglot.dialects.dialect import Dialect
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
_MYSQL_BARE = {"utc_date": "DATE", "utc_time": "TIME", "utc_timestamp": "TIMESTAMP"}
"""MySQL clock functions that may be written without parentheses, which sqlglot reads as column names."""
_MYSQL_PRECISION = {"now", "sysdate"}
"""MySQL clock functions sqlglot leaves anonymous that take a fractional-seconds precision (``NOW(3)``)."""
_SQLITE_TIME_VALUES: dict[str, tuple[int, ...]] = {
    "date": (0,), "time": (0,), "datetime": (0,), "julianday": (0,), "unixepoch": (0,), "strftime": (1,),
    "timediff": (0, 1)}
"""SQLite's date and time functions, by lower-case name, and which arguments are time values (where ``'now'``,
in any case but without spaces, reads the clock); all but ``strftime`` and ``timediff`` read it when called bare."""
_SQLITE_TYPED: tuple[type[exp.Expr], ...] = (
    exp.Date, exp.Datetime, exp.Time, exp.TsOrDsToDate, exp.TsOrDsToDatetime, exp.TsOrDsToTime,
    exp.TsOrDsToTimestamp)
"""Nodes sqlglot makes of SQLite's date functions (``date('now')``, ``strftime('%Y', 'now')``), time value as
``this``."""


def uses_clock(sql: str, dialect: str) -> bool:
    """Whether ``sql`` reads the wall clock (``CURRENT_DATE``, ``now()``...); False for text sqlglot cannot read."""
    try:
        tree = parse_one(sql, dialect)
    except (SqlglotError, RecursionError):
        return False
    family = _family(dialect)
    return any(_clock_type(node, family) for node in tree.walk())


@lru_cache(maxsize=4096)  # pure, and asked for the same gold several times per judgement
def freeze_clock(sql: str, dialect: str, instant: datetime) -> str:
    """``sql`` with every clock call replaced by a typed literal of ``instant`` (naive UTC; an aware instant is
    converted), written back in ``dialect``.

    SQLite's ``'now'`` time value becomes the instant's text (``date('now', '-7 days')`` reads
    ``date('2024-05-01 09:30:00', '-7 days')``) and a bare ``datetime()`` gets it as its argument; MySQL's
    ``UNIX_TIMESTAMP()`` becomes the instant's epoch seconds. A ``'now'`` anywhere else is plain text, untouched.

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
    family = _family(dialect)
    sites = [(node, kind) for node in tree.walk() if (kind := _clock_type(node, family))]
    if not sites:
        return sql
    naive = _naive_utc(instant)
    for node, kind in sites:
        frozen = _frozen(node, kind, naive)
        tree = frozen if node is tree else tree
        node.replace(frozen)
    return tree.sql(dialect=dialect)


def parse_as_of(text: str, name: str = "as_of") -> datetime:
    """The instant ``YYYY-MM-DD`` (midnight) or an ISO 8601 datetime names, as naive UTC; a bad value is an
    error naming ``name`` (the field or option it came from)."""
    expected = "a date YYYY-MM-DD or an ISO 8601 datetime such as 2024-05-01T12:00:00Z"
    if not isinstance(text, str):
        raise ParameterError.invalid(name, expected, text)
    try:
        return _naive_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ParameterError.invalid(name, expected, text) from None


def _naive_utc(instant: datetime) -> datetime:
    """An aware instant in UTC without its zone; a naive one as it is (taken to be UTC already)."""
    return instant if instant.tzinfo is None else instant.astimezone(UTC).replace(tzinfo=None)


def _family(dialect: str) -> str | None:
    """``sqlite`` or ``mysql`` when ``dialect`` is (or derives from) one, whose own clock forms are frozen too."""
    found = Dialect.get_or_raise(dialect)
    if isinstance(found, SQLite):
        return "sqlite"
    return "mysql" if isinstance(found, MySQL) else None


def _clock_type(node: exp.Expr, family: str | None) -> str | None:
    """``DATE``, ``TIME`` or ``TIMESTAMP`` when ``node`` reads the clock (``NOW``: a SQLite ``'now'`` time value,
    ``BARE``: a SQLite date function called without one, ``EPOCH``: MySQL's ``UNIX_TIMESTAMP()``), else None."""
    if family == "sqlite" and (kind := _sqlite_type(node)):
        return kind
    if family == "mysql" and (kind := _mysql_type(node)):
        return kind
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


def _sqlite_type(node: exp.Expr) -> str | None:
    """``NOW`` for a ``'now'`` time value of a SQLite date function, ``BARE`` for such a function without one."""
    parent = node.parent
    if isinstance(node, exp.Literal) and node.is_string and node.name.lower() == "now":
        if isinstance(parent, _SQLITE_TYPED) and node.arg_key == "this":
            return "NOW"
        if isinstance(parent, exp.Anonymous) and node.arg_key == "expressions":
            return "NOW" if node.index in _SQLITE_TIME_VALUES.get(parent.name.lower(), ()) else None
        return None
    if isinstance(node, exp.Date) and not node.this and not node.expressions:
        return "BARE"
    if isinstance(node, exp.Anonymous) and not node.expressions and node.name.lower() in _SQLITE_TIME_VALUES:
        return None if node.name.lower() in ("strftime", "timediff") else "BARE"
    return None


def _mysql_type(node: exp.Expr) -> str | None:
    """What a MySQL-only clock form returns: ``UNIX_TIMESTAMP()``, ``LOCALTIME`` (a ``NOW()``), ``UTC_DATE``..."""
    if isinstance(node, exp.Localtime):
        return "TIMESTAMP"
    if isinstance(node, exp.Column) and not node.table and not node.this.quoted:
        return _MYSQL_BARE.get(node.name.lower())
    if not isinstance(node, exp.Anonymous):
        return None
    name = node.name.lower()
    if name == "unix_timestamp" and not node.expressions:
        return "EPOCH"
    precision = len(node.expressions) == 1 and node.expressions[0].is_int
    return "TIMESTAMP" if name in _MYSQL_PRECISION and precision else None


def _frozen(node: exp.Expr, kind: str, instant: datetime) -> exp.Expr:
    """What replaces the clock call ``node`` of ``kind`` at ``instant``."""
    if kind == "NOW":
        return exp.Literal.string(_text("TIMESTAMP", instant))
    if kind == "BARE":
        name = "date" if isinstance(node, exp.Date) else node.name
        return exp.Anonymous(this=name, expressions=[exp.Literal.string(_text("TIMESTAMP", instant))])
    if kind == "EPOCH":
        return exp.Literal.number(calendar.timegm(instant.timetuple()))
    if isinstance(node, exp.Cast):  # 'now'::timestamptz keeps its type, only the string is frozen
        frozen = node.copy()
        frozen.set("this", exp.Literal.string(_text(kind, _special_moment(node, instant))))
        return frozen
    return exp.cast(exp.Literal.string(_text(kind, instant)), exp.DataType.build(kind))


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
