"""What a SQL statement is, read with sqlglot (never by substring): ordered, read-only, and its alternatives."""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import DialectType
from sqlglot.errors import ParseError, SqlglotError

from answerkey.analytics.sandbox_policy import forbidden_in_tree
from answerkey.excerpt import first_line

__all__ = [
    "expand_alternatives",
    "has_top_level_order_by",
    "order_key_query",
    "parse_one",
    "refusal",
    "split_statements",
    "unparseable",
]

_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable,
           exp.Command, exp.Copy, exp.Set, exp.Use, exp.Transaction, exp.Commit, exp.Rollback, exp.Grant)
_READS = (exp.Query,)
MAX_ALTERNATIVES = 64
"""Expansions of ``{a, b}`` column alternatives kept per query (the rest are dropped with the largest sets)."""


def parse_one(sql: str, dialect: DialectType = None) -> exp.Expr:
    """One statement parsed; a ``ParseError`` says why it is not SQL."""
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    if len(statements) != 1:
        raise ParseError(f"expected one SQL statement, found {len(statements)}")
    return statements[0]


@lru_cache(maxsize=4096)  # pure; asked for the same query several times per judgement
def has_top_level_order_by(sql: str, dialect: str | None = None) -> bool:
    """Whether the outermost query orders its rows (an ORDER BY in a subquery or window does not count)."""
    try:
        tree = parse_one(sql, dialect)
    except ParseError:
        return False
    if isinstance(tree, exp.Subquery):
        tree = tree.this
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def unparseable(sql: str, dialect: str | None = None) -> str | None:
    """Why no parser reads ``sql`` (``not parseable SQL: <the parser's message>``), or None when it parses.

    Text that does not parse is never executed, but it is the answer's error, not a refusal: the answer tried to
    read and failed, it did not try to do what it may not (see :func:`refusal`).
    """
    parsed = _parsed(sql, dialect)
    return parsed if isinstance(parsed, str) else None


def _parsed(sql: str, dialect: str | None) -> list[exp.Expr] | str:
    """The statements of ``sql``, or why it does not parse."""
    try:
        return [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        return f"{_UNPARSEABLE}: {first_line(error)}"
    except RecursionError:
        return f"{_UNPARSEABLE}: nested too deeply"


_UNPARSEABLE = "not parseable SQL"


@lru_cache(maxsize=4096)  # pure; asked for the same query several times per judgement
def refusal(sql: str, dialect: str | None = None) -> str | None:
    """Why ``sql`` must not be executed on a warehouse, or None: a NUL character or a ``U&"..."`` identifier
    (whatever it parses to), text that does not parse (the reason :func:`unparseable` gives), or a statement
    that writes, runs DDL, is not one query, or calls what the sandbox policy denies. Never raises."""
    if "\x00" in sql:
        return "a NUL character in the SQL"
    if re.search(r'u&"', sql, re.IGNORECASE):
        return 'a U&"..." identifier: write names plainly'  # escapes could spell a denied name
    statements = _parsed(sql, dialect)
    if isinstance(statements, str):
        return statements
    if not statements:
        return "empty SQL"
    if len(statements) > 1:
        return f"{len(statements)} statements; one query is expected"
    statement = statements[0]
    try:
        for node in statement.walk():
            if isinstance(node, _WRITES):
                return f"{node.key.upper()} statement: answers may only read"
        if not isinstance(statement, _READS):
            return f"{statement.key.upper()} statement: answers may only read"
        return forbidden_in_tree(statement, dialect)
    except RecursionError:
        return "nested too deeply to check: answers may nest less"


def split_statements(text: str) -> list[str]:
    """Statements separated by ``;`` outside quotes, trimmed, empty ones dropped."""
    parts, current, quote = [], [], ""
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_GROUP = re.compile(r"\{([^{}]*)\}")


def expand_alternatives(sql: str) -> list[str]:
    """Every query a gold SQL with column alternatives stands for.

    ``SELECT {a, b} ... GROUP BY {}`` (the defog convention) accepts any non-empty subset of the braced
    columns; an empty ``{}`` repeats the choice of the group before it. Several groups multiply. Without
    braces the query stands for itself.
    """
    groups = list(_GROUP.finditer(sql))
    if not groups:
        return [sql]
    choices: list[list[tuple[str, ...]]] = []
    for match in groups:
        options = [o.strip() for o in match.group(1).split(",") if o.strip()]
        if options:
            subsets = [c for size in range(1, len(options) + 1) for c in itertools.combinations(options, size)]
            choices.append(subsets)
    expanded = []
    for combination in itertools.islice(itertools.product(*choices), MAX_ALTERNATIVES):
        picks = iter(combination)
        previous: tuple[str, ...] = ()
        pieces, last = [], 0
        for match in groups:
            pieces.append(sql[last:match.start()])
            if match.group(1).strip():
                previous = next(picks)
            pieces.append(", ".join(previous))
            last = match.end()
        pieces.append(sql[last:])
        expanded.append("".join(pieces))
    return expanded


_KEY = "__answerkey_order_key_{}"


def order_key_query(sql: str, dialect: str | None, extra_rows: bool = False, *,
                    unlimited: bool = False) -> tuple[str, int, int | None] | None:
    """The query with its ORDER BY keys appended as columns, its width before them and its LIMIT; or None when
    that cannot be done without changing the query's meaning (DISTINCT, ``*``, a LIMIT that is not a number).

    A key given by position (``ORDER BY 2``) or by a select alias is appended as the expression it stands for.
    ``extra_rows`` raises the LIMIT by one (the row after the cut shows whether the cut splits a tie);
    ``unlimited`` drops it (every row comes back with its key; an OFFSET stays, so the first ``limit`` rows are
    still the ones the query returns).
    """
    tree = parse_one(sql, dialect)
    if not isinstance(tree, exp.Select) or tree.args.get("distinct") or not tree.args.get("order"):
        return None
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in tree.expressions):
        return None
    width = len(tree.expressions)
    keys = [_order_key(ordered.this, tree.expressions) for ordered in tree.args["order"].expressions]
    if any(key is None for key in keys):
        return None
    keyed = tree.copy()
    for index, key in enumerate(keys):
        assert key is not None
        keyed.select(exp.alias_(key, _KEY.format(index)), copy=False)
    limit = None
    if keyed.args.get("limit") is not None:
        value = keyed.args["limit"].expression
        if not isinstance(value, exp.Literal) or not value.is_int:
            return None
        limit = int(value.this)
        if unlimited:
            keyed.set("limit", None)
        elif extra_rows:
            keyed.limit(limit + 1, copy=False)
    return keyed.sql(dialect=dialect), width, limit


def _order_key(key: exp.Expr, outputs: list[exp.Expr]) -> exp.Expr | None:
    """An ORDER BY key as an expression to select: a position is the output at that position, a bare output
    alias is that output's expression. None for a position out of range, and for an expression that names an
    alias inside it: engines differ on whether that name is the alias or a source column of the same name
    (PostgreSQL and DuckDB take the column), and a wrong guess would call rows tied that are not."""
    if isinstance(key, exp.Literal) and key.is_int:
        position = int(key.this)
        return outputs[position - 1].unalias().copy() if 0 < position <= len(outputs) else None
    aliases = {e.alias.lower(): e.unalias() for e in outputs if isinstance(e, exp.Alias)}
    if isinstance(key, exp.Column) and not key.table and key.name.lower() in aliases:
        return aliases[key.name.lower()].copy()
    named = [node for node in key.walk(prune=lambda n: isinstance(n, exp.Query | exp.Subquery))
             if isinstance(node, exp.Column) and not node.table and node.name.lower() in aliases]
    return None if named else key.copy()  # a subquery's columns are its own, whatever their names
