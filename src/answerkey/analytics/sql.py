"""What a SQL statement is, read with sqlglot (never by substring): ordered, read-only, and its alternatives."""

from __future__ import annotations

import itertools
import re

import sqlglot
from sqlglot import exp
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
]

_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable,
           exp.Command, exp.Copy, exp.Set, exp.Use, exp.Transaction, exp.Commit, exp.Rollback, exp.Grant)
_READS = (exp.Query,)
MAX_ALTERNATIVES = 64
"""Expansions of ``{a, b}`` column alternatives kept per query (the rest are dropped with the largest sets)."""


def parse_one(sql: str, dialect: str | None = None) -> exp.Expr:
    """One statement parsed; a ``ParseError`` says why it is not SQL."""
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    if len(statements) != 1:
        raise ParseError(f"expected one SQL statement, found {len(statements)}")
    return statements[0]


def has_top_level_order_by(sql: str, dialect: str | None = None) -> bool:
    """Whether the outermost query orders its rows (an ORDER BY in a subquery or window does not count)."""
    try:
        tree = parse_one(sql, dialect)
    except ParseError:
        return False
    if isinstance(tree, exp.Subquery):
        tree = tree.this
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def refusal(sql: str, dialect: str | None = None) -> str | None:
    """Why ``sql`` must not be executed on a warehouse (it writes, runs DDL, is not one query, or calls what the
    sandbox policy denies), or None. Text no parser can read is refused here, never raised."""
    if "\x00" in sql:
        return "a NUL character in the SQL"
    if re.search(r'u&"', sql, re.IGNORECASE):
        return 'a U&"..." identifier: write names plainly'  # escapes could spell a denied name
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        return f"not parseable SQL: {first_line(error)}"
    except RecursionError:
        return "not parseable SQL: nested too deeply"
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
        return "not parseable SQL: nested too deeply"



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


def order_key_query(sql: str, dialect: str | None, extra_rows: bool = False) -> tuple[str, int, int | None] | None:
    """The query with its ORDER BY expressions appended as columns, and its LIMIT raised by one (so the row
    after the cut is visible), or None when that cannot be done without changing the query's meaning."""
    tree = parse_one(sql, dialect)
    if not isinstance(tree, exp.Select) or tree.args.get("distinct") or not tree.args.get("order"):
        return None
    order = tree.args["order"].expressions
    width = len(tree.expressions)
    if any(isinstance(e, exp.Star) for e in tree.expressions):
        return None
    keyed = tree.copy()
    for index, ordered in enumerate(order):
        keyed.select(exp.alias_(ordered.this.copy(), _KEY.format(index)), copy=False)
    limit = None
    if keyed.args.get("limit") is not None:
        value = keyed.args["limit"].expression
        if not isinstance(value, exp.Literal) or not value.is_int:
            return None
        limit = int(value.this)
        if extra_rows:
            keyed.limit(limit + 1, copy=False)
    return keyed.sql(dialect=dialect), width, limit
