"""Gold SQL written for one dialect, run on another: translated with sqlglot, or refused naming what cannot be.

Left to itself, sqlglot writes what it cannot express in the target as something else, with a warning at
most; a gold query translated so is a wrong gold, and every right answer fails against it. Here every
construct sqlglot cannot write raises :class:`TranslationError`, and what PostgreSQL means implicitly is made
explicit before writing:

- a GROUP BY on a primary key with other columns of its table in the SELECT (PostgreSQL knows they depend on
  the key; other engines want them in the GROUP BY): :func:`add_dependent_group_columns`;
- ``to_char``/``to_date``/``to_timestamp`` templates (``'Month'``, ``'FMDD'``, ``'Dy'``), pattern by pattern,
  with the names cased and blank-padded as PostgreSQL writes them (:func:`postgres_template`), or refused naming
  the pattern that has no strftime equivalent; a template without a year parses to 1900, not to 1 BC as in
  PostgreSQL (only its month and day carry meaning);
- integer division, where sqlglot can tell both sides are integers (literals, counts, casts);
- a TIME cut from a timestamp with time zone, and ``to_char`` of a TIME, which DuckDB takes only via TIMESTAMP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ErrorLevel, SqlglotError, UnsupportedError
from sqlglot.optimizer.annotate_types import annotate_types

from answerkey.analytics.sql import parse_one
from answerkey.errors import ParameterError
from answerkey.excerpt import first_line

__all__ = ["PostgresVerbatimTemplates", "TranslationError", "add_dependent_group_columns", "postgres_template",
           "translate_gold", "translate_template"]


class TranslationError(ParameterError):
    """Gold SQL that cannot be written in the warehouse's dialect as it is meant; the message names the construct."""


class PostgresVerbatimTemplates(Postgres):
    """PostgreSQL as sqlglot reads it, but with date templates kept as written (sqlglot's own mapping garbles
    patterns it does not know, e.g. ``'FMDay'`` into ``'FM%uay'``), for :func:`postgres_template` to translate."""

    TIME_MAPPING: dict[str, str] = {}  # noqa: RUF012 (declared so by sqlglot's Dialect)


@lru_cache(maxsize=4096)  # pure, and asked for the same gold several times per judgement
def translate_gold(sql: str, read: str | None, write: str) -> str:
    """``sql``, written in ``read`` (None: already in ``write``), as the ``write`` dialect runs it.

    Raises ``TranslationError`` naming the construct when sqlglot cannot read the SQL or cannot write a part
    of it in ``write``: a gold query that silently means something else is worse than one that fails.
    """
    if read is None:
        return sql
    read, write = _dialect_name(read), _dialect_name(write)
    if read == write:
        return sql
    from_postgres = read == "postgres"
    try:
        tree = parse_one(sql, PostgresVerbatimTemplates if from_postgres else read)
        if from_postgres:
            tree = _from_postgres(tree, write)
        return tree.sql(dialect=write, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise TranslationError(f"sqlglot cannot write this {read} SQL in {write}: "
                               f"{' / '.join(str(error).split(chr(10) * 2))}") from None
    except SqlglotError as error:
        raise TranslationError(f"not {read} SQL that sqlglot can read: {first_line(error)}") from None
    except RecursionError:
        raise TranslationError(f"not {read} SQL that sqlglot can read: nested too deeply") from None


def _dialect_name(name: str) -> str:
    """A dialect name as sqlglot knows it (``postgresql`` is ``postgres``), or ``TranslationError``."""
    known = {"postgresql": "postgres"}.get(name.lower(), name.lower())
    if Dialect.get(known) is None:
        raise TranslationError(f"{name!r} is not a SQL dialect sqlglot knows")
    return known


def _from_postgres(tree: exp.Expr, write: str) -> exp.Expr:
    """The PostgreSQL-only meanings made explicit: integer division (typed where sqlglot can tell),
    functionally dependent columns, date templates, and ``to_char`` of a TIME."""
    tree = annotate_types(tree, dialect="postgres")
    add_dependent_group_columns(tree)
    if write == "duckdb":
        _duckdb_times(tree)
    for node in list(tree.find_all(exp.TimeToStr, exp.StrToDate, exp.StrToTime)):
        if isinstance(node, exp.TimeToStr | exp.StrToDate | exp.StrToTime):
            translate_template(node)
    return tree


_WITH_TIME_ZONE = (exp.UnixToTime, exp.CurrentTimestamp, exp.StrToTime)
"""PostgreSQL functions that return a TIMESTAMP WITH TIME ZONE (to_timestamp, now(), current_timestamp)."""


def _duckdb_times(tree: exp.Expr) -> None:
    """TIME values as DuckDB takes them: a timestamp with time zone cast to TIME goes through TIMESTAMP (in the
    session's time zone, as in PostgreSQL; DuckDB has no direct cast), and ``to_char`` of a TIME formats that
    time on 1970-01-01 (DuckDB's strftime takes no TIME)."""
    for cast in list(tree.find_all(exp.Cast)):
        if cast.to.is_type(exp.DType.TIME) and (isinstance(cast.this, _WITH_TIME_ZONE)
                                                 or cast.this.is_type(exp.DType.TIMESTAMPTZ)):
            cast.set("this", exp.cast(cast.this.copy(), exp.DType.TIMESTAMP))
    for node in list(tree.find_all(exp.TimeToStr)):
        if node.this.is_type(exp.DType.TIME):
            epoch = exp.cast(exp.Literal.string("1970-01-01"), exp.DType.DATE)
            node.set("this", exp.Add(this=epoch, expression=node.this.copy()))


# -- GROUP BY: columns PostgreSQL knows are functionally dependent on a grouped primary key ------------------

_OWN_SCOPE = (exp.AggFunc, exp.Window, exp.Filter, exp.WithinGroup, exp.Query, exp.Subquery, exp.Anonymous)
"""Nodes whose columns a GROUP BY does not constrain (aggregated, windowed, a query of their own, or a function
sqlglot does not know, which may be an aggregate: its columns are left alone rather than grouped)."""


def add_dependent_group_columns(tree: exp.Expr) -> exp.Expr:
    """Every GROUP BY in ``tree`` (nested queries and CTEs too) extended, in place, with the plain columns its
    SELECT, HAVING and ORDER BY use but do not group.

    Valid only for SQL PostgreSQL accepted: there such a column is functionally dependent on a grouped primary
    key, so grouping by it too changes no group, and engines without that rule (DuckDB) run the query.
    Select-alias references, columns inside aggregates, windows and subqueries, and parts equal to a grouped
    expression are left alone; a GROUP BY with ROLLUP, CUBE or GROUPING SETS is not touched. A column of a
    table none of whose columns is grouped is not added either (PostgreSQL's rule needs that table's key
    grouped), unless some grouped column is unqualified.
    """
    for select in list(tree.find_all(exp.Select)):
        group = select.args.get("group")
        if group is None or any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup", "totals", "all")):
            continue
        grouped_expressions = _grouped(group, select.expressions)
        grouped = {_key(e) for e in grouped_expressions}
        aliases = {e.alias.lower() for e in select.expressions if isinstance(e, exp.Alias)}
        tables = {e.table.lower() for e in grouped_expressions
                  if isinstance(e, exp.Column) and (e.table or e.name.lower() not in aliases)}
        having, order = select.args.get("having"), select.args.get("order")
        used = [*(_ungrouped(e.unalias(), grouped, set()) for e in select.expressions),
                *((_ungrouped(having.this, grouped, aliases),) if having is not None else ()),
                *(_ungrouped(o.this, grouped, aliases) for o in (order.expressions if order is not None else ()))]
        for columns in used:
            for column in columns:
                key = _key(column)
                if key not in grouped and ("" in tables or column.table.lower() in tables):
                    grouped.add(key)
                    group.append("expressions", column.copy())
    return tree


def _key(node: exp.Expr) -> str:
    """What identifies an expression for grouping: its SQL, case folded (PostgreSQL folds unquoted names)."""
    return node.sql(dialect="postgres").lower()


def _grouped(group: exp.Group, outputs: list[exp.Expr]) -> list[exp.Expr]:
    """What is grouped: each GROUP BY expression, and the output it names by position or alias."""
    grouped = []
    by_alias = {e.alias.lower(): e.unalias() for e in outputs if isinstance(e, exp.Alias)}
    for expression in group.expressions:
        grouped.append(expression)
        if isinstance(expression, exp.Literal) and expression.is_int and 0 < int(expression.this) <= len(outputs):
            grouped.append(outputs[int(expression.this) - 1].unalias())
        elif isinstance(expression, exp.Column) and not expression.table and expression.name.lower() in by_alias:
            grouped.append(by_alias[expression.name.lower()])
    return grouped


def _ungrouped(node: exp.Expr, grouped: set[str], aliases: set[str]) -> Iterator[exp.Column]:
    """The columns of ``node`` that are neither grouped, inside a grouped expression, in their own scope, nor
    (unqualified and named in ``aliases``) a reference to an output column."""

    def settled(candidate: exp.Expr) -> bool:
        return isinstance(candidate, _OWN_SCOPE) or _key(candidate) in grouped

    for candidate in node.walk(prune=settled):
        if not isinstance(candidate, exp.Column) or settled(candidate) or isinstance(candidate.this, exp.Star):
            continue
        if not candidate.table and candidate.name.lower() in aliases:
            continue
        yield candidate


# -- date templates: to_char, to_date, to_timestamp ---------------------------------------------------------

_NUMERIC = {"YYYY": "%Y", "YY": "%y", "IYYY": "%G", "MM": "%m", "DD": "%d", "DDD": "%j", "HH24": "%H",
            "HH12": "%I", "HH": "%I", "MI": "%M", "SS": "%S", "US": "%f", "IW": "%V", "ID": "%u"}
"""Numeric patterns with an exact strftime equivalent."""
_NO_PADDING = {"YYYY": "%Y", "IYYY": "%G", "YY": "%-y", "MM": "%-m", "DD": "%-d", "DDD": "%-j", "HH24": "%-H",
               "HH12": "%-I", "HH": "%-I", "MI": "%-M", "SS": "%-S"}
"""The same after ``FM`` (no leading zeros; a four-digit year has none to drop)."""
_NAMES = {"MONTH": ("%B", 9), "MON": ("%b", 0), "DAY": ("%A", 9), "DY": ("%a", 0), "AM": ("%p", 0),
          "PM": ("%p", 0)}
"""Names: strftime's pattern and the width PostgreSQL's ``to_char`` blank-pads them to (unless FM or TM)."""
_UNSUPPORTED = {"Y,YYY": "year with a comma", "YYY": "last 3 digits of the year", "IYY": "last 3 digits of the "
                "ISO year", "IY": "last 2 digits of the ISO year", "CC": "century", "SSSSS": "seconds past "
                "midnight", "SSSS": "seconds past midnight", "MS": "milliseconds", "IDDD": "ISO day of the year",
                "WW": "week of the year counted from January 1", "RM": "month in Roman numerals", "TZH": "time-zone "
                "hours", "TZM": "time-zone minutes", "TZ": "time-zone abbreviation", "OF": "time-zone offset",
                "A.M.": "meridiem with dots", "P.M.": "meridiem with dots", "B.C.": "era", "A.D.": "era",
                "BC": "era", "AD": "era", "Q": "quarter", "J": "Julian day", "W": "week of the month",
                "D": "day of the week counted from Sunday = 1", "I": "last digit of the ISO year",
                "Y": "last digit of the year", **{f"FF{n}": "fractional seconds" for n in range(1, 7)}}
_SPELLINGS = sorted({spelling for p in (*_NUMERIC, *_NAMES, *_UNSUPPORTED)
                     for spelling in (p, p.lower(), p.capitalize() if p in ("MONTH", "MON", "DAY", "DY") else p)},
                    key=len, reverse=True)
_PATTERN = re.compile("|".join(re.escape(p) for p in _SPELLINGS))
"""Every pattern as PostgreSQL spells it (upper or lower case; Month, Mon, Day and Dy also capitalised),
longest first; other letters are literal text, as in PostgreSQL."""
_MODIFIER = re.compile(r"FM|fm|TM|tm|FX|fx")

_Piece = tuple[str, str, int]
"""Part of a template: a strftime format, the case to put it in (``upper``, ``lower`` or ``""``: as strftime
writes it) and the width to blank-pad it to (0: none)."""


def postgres_template(template: str, parsing: bool) -> list[_Piece]:
    """A PostgreSQL date template as strftime pieces, for ``to_char`` (``parsing`` False: names cased and padded
    as PostgreSQL writes them) or ``to_date``/``to_timestamp`` (names read in any case). ``TranslationError``
    names the first pattern without an equivalent. Double-quoted text and other characters are literal.

    >>> postgres_template('FMDay, DD "of" Month', parsing=False)
    [('%A, %d of ', '', 0), ('%B', '', 9)]
    """
    if re.search(r"[09]", re.sub(r'"[^"]*"', "", template)):
        raise TranslationError(f"to_char number template {template!r}: only date templates are translated")
    pieces: list[_Piece] = []
    position, modifiers = 0, ""
    while position < len(template):
        if template[position] == '"':
            end = template.find('"', position + 1)
            end = len(template) if end < 0 else end
            _append(pieces, (template[position + 1:end].replace("%", "%%"), "", 0))
            position = end + 1
        elif modifier := _MODIFIER.match(template, position):
            modifiers += modifier.group().upper()
            position = modifier.end()
        elif pattern := _PATTERN.match(template, position):
            _append(pieces, _pattern_piece(pattern.group(), modifiers, parsing, template))
            position, modifiers = pattern.end(), ""
            if not parsing and template[position:position + 2].upper() in ("TH", "SP"):
                raise TranslationError(f"date template {template!r}: the suffix {template[position:position + 2]!r}"
                                       f" after {pattern.group()!r} has no strftime equivalent")
        else:
            _append(pieces, ("%%" if template[position] == "%" else template[position], "", 0))
            position += 1
    return pieces


def _append(pieces: list[_Piece], piece: _Piece) -> None:
    """Add a piece, joined to the one before when neither is cased or padded."""
    if pieces and piece[1:] == ("", 0) and pieces[-1][1:] == ("", 0):
        pieces[-1] = (pieces[-1][0] + piece[0], "", 0)
    else:
        pieces.append(piece)


def _pattern_piece(pattern: str, modifiers: str, parsing: bool, template: str) -> _Piece:
    """One pattern (with the FM/TM/FX before it) as a piece, or ``TranslationError`` naming it."""
    upper = pattern.upper()
    if upper in _UNSUPPORTED:
        raise TranslationError(f"date template {template!r}: the pattern {pattern!r} ({_UNSUPPORTED[upper]}) has "
                               "no strftime equivalent")
    if upper in _NAMES:
        strftime, width = _NAMES[upper]
        if parsing:
            return strftime, "", 0
        case = "upper" if pattern.isupper() and upper not in ("AM", "PM") else "lower" if pattern.islower() else ""
        return strftime, case, 0 if "FM" in modifiers or "TM" in modifiers else width
    if "FM" in modifiers and not parsing:
        if upper not in _NO_PADDING:
            raise TranslationError(f"date template {template!r}: the pattern {pattern!r} without leading zeros "
                                   "(FM) has no strftime equivalent")
        return _NO_PADDING[upper], "", 0
    return _NUMERIC[upper], "", 0


def translate_template(node: exp.TimeToStr | exp.StrToDate | exp.StrToTime) -> None:
    """A to_char/to_date/to_timestamp node, its template read verbatim, replaced by its strftime equivalent
    (a ``to_char`` with names PostgreSQL cases or pads as strftime does not: pieces joined with ``||``)."""
    template = node.args.get("format")
    if template is None:
        return
    if not (isinstance(template, exp.Literal) and template.is_string):
        raise TranslationError(f"a date template given as an expression ({template.sql('postgres')}): only "
                               "literal templates can be translated")
    pieces = postgres_template(template.this, parsing=not isinstance(node, exp.TimeToStr))
    if len(pieces) == 1 and pieces[0][1:] == ("", 0):
        node.set("format", exp.Literal.string(pieces[0][0]))
        return
    parts: list[exp.Expr] = []
    for strftime, case, width in pieces:
        part: exp.Expr = exp.TimeToStr(this=node.this.copy(), format=exp.Literal.string(strftime))
        if width:
            part = exp.Pad(this=part, expression=exp.Literal.number(width), fill_pattern=exp.Literal.string(" "),
                           is_left=False)
        if case:
            part = exp.Upper(this=part) if case == "upper" else exp.Lower(this=part)
        parts.append(part)
    joined = parts[0]
    for part in parts[1:]:
        joined = exp.DPipe(this=joined, expression=part, safe=True)
    node.replace(exp.paren(joined, copy=False) if len(parts) > 1 else joined)
