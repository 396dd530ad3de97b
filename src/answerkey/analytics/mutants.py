"""The neighbour queries of a gold query, one small change each, for distilled test suites.

A database is worth keeping in a test suite when it tells the gold from its near misses: ``>`` for ``>=``, a
filter dropped, ``LEFT`` for ``INNER``, ``MIN`` for ``MAX``... (Zhong, Yu and Klein, "Semantic Evaluation for
Text-to-SQL with Distilled Test Suites", EMNLP 2020). The mutants are made by editing the sqlglot tree and
written back in the query's dialect; whether they run is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from answerkey.analytics.sql import parse_one
from answerkey.errors import ParameterError
from answerkey.excerpt import clip

__all__ = ["KINDS", "MAX_MUTANTS", "Mutant", "mutants"]

MAX_MUTANTS = 200
"""Mutants kept per query; beyond it, kinds take turns so that none crowds out the others."""
KINDS = ("comparison", "literal", "predicate", "connective", "aggregation", "join", "distinct", "limit",
         "group_by", "order_by")
"""Every kind of change, in the order mutants are listed."""
FRAGMENT_CHARS = 60
"""The longest SQL fragment a description quotes."""


@dataclass(frozen=True)
class Mutant:
    """One neighbour of a query: what kind of change, what changed, and the whole changed query."""

    kind: str
    description: str
    sql: str


@dataclass(frozen=True)
class _Edit:
    """A change not yet made: ``parent.args[key]`` becomes ``make()``; ``note`` describes it, with
    ``{fragment}`` standing for the node ``about`` as SQL."""

    kind: str
    parent: exp.Expr
    key: str
    make: Callable[[], object]
    note: str
    about: exp.Expr


def mutants(sql: str, dialect: str) -> list[Mutant]:
    """The neighbours of ``sql``, each one small change of a kind in ``KINDS``, at most ``MAX_MUTANTS``.

    Mutants are deduplicated by text and never equal the query (both as sqlglot writes them in ``dialect``).
    Raises sqlglot's ``ParseError`` when ``sql`` is not one statement sqlglot can read.

    >>> [m.sql for m in mutants("SELECT a FROM t LIMIT 5", "duckdb") if m.kind == "limit"]
    ['SELECT a FROM t LIMIT 4', 'SELECT a FROM t LIMIT 6', 'SELECT a FROM t']
    """
    try:
        Dialect.get_or_raise(dialect)
    except ValueError:
        raise ParameterError.invalid("dialect", "a dialect sqlglot knows, such as 'duckdb' or 'postgres'",
                                     dialect) from None
    from answerkey.analytics.mutation_rules import RULES  # the rules build on this module's edits: imported here

    tree = parse_one(sql, dialect)
    edits = [edit for node in tree.walk(bfs=False) for rule in RULES for edit in rule(node, dialect)]
    return _chosen(tree, edits, dialect)


def _chosen(tree: exp.Expr, edits: list[_Edit], dialect: str) -> list[Mutant]:
    """The edits rendered with kinds taking turns until ``MAX_MUTANTS`` distinct new texts, listed by kind."""
    queues = {kind: [(order, e) for order, e in enumerate(edits) if e.kind == kind] for kind in KINDS}
    seen = {tree.sql(dialect=dialect)}
    kept: list[tuple[int, int, Mutant]] = []
    turn = 0
    while len(kept) < MAX_MUTANTS and any(turn < len(queue) for queue in queues.values()):
        for rank, kind in enumerate(KINDS):
            if turn < len(queues[kind]) and len(kept) < MAX_MUTANTS:
                order, edit = queues[kind][turn]
                mutant = _render(tree, edit, dialect)
                if mutant is not None and mutant.sql not in seen:
                    seen.add(mutant.sql)
                    kept.append((rank, order, mutant))
        turn += 1
    return [mutant for _, _, mutant in sorted(kept, key=lambda item: item[:2])]


def _render(tree: exp.Expr, edit: _Edit, dialect: str) -> Mutant | None:
    """The whole query with ``edit`` made, written in ``dialect``; the tree is put back as it was."""
    description = edit.note.replace("{fragment}", _fragment(edit.about, dialect))
    value = edit.make()
    old = edit.parent.args.get(edit.key)
    edit.parent.set(edit.key, value)
    try:
        return Mutant(edit.kind, description, tree.sql(dialect=dialect))
    except SqlglotError:
        return None
    finally:
        edit.parent.set(edit.key, old)


# -- building edits ------------------------------------------------------------------------------------------

def _fragment(node: exp.Expr, dialect: str) -> str:
    """``node`` as SQL on one line, shortened for a description."""
    return clip(" ".join(node.sql(dialect=dialect).split()), FRAGMENT_CHARS)


def _replace(kind: str, node: exp.Expr, make: Callable[[], exp.Expr | None], note: str,
             about: exp.Expr | None = None) -> _Edit:
    """The edit putting ``make()`` where ``node`` is (None: taking ``node`` out of its list)."""
    parent, key = node.parent, node.arg_key
    assert parent is not None, "the root is never replaced"
    assert key is not None, "a node with a parent has a key"
    return _Edit(kind, parent, key, partial(_slot, parent, key, node, make), note, about or node)


def _slot(parent: exp.Expr, key: str, node: exp.Expr, make: Callable[[], exp.Expr | None]) -> object:
    """What ``node``'s slot ``key`` in ``parent`` holds once ``node`` is replaced by ``make()``."""
    new = make()
    current = parent.args.get(key)
    if isinstance(current, list):
        return [new if item is node else item for item in current if item is not node or new is not None]
    return new


def _given(value: object) -> object:
    """``value`` itself (a constant ``make``)."""
    return value


def _nothing() -> None:
    """No node: the ``make`` of an edit that removes one."""


def _as(node: exp.Expr, cls: type[exp.Expr]) -> exp.Expr:
    """A copy of ``node`` as another expression class with the same arguments (``>`` as ``>=``)."""
    return cls(**node.copy().args)


def _with(node: exp.Expr, **args: object) -> exp.Expr:
    """A copy of ``node`` with some arguments changed."""
    new = node.copy()
    for key, value in args.items():
        new.set(key, value)
    return new


def _fit(new: exp.Expr, site: exp.Expr) -> exp.Expr:
    """``new`` in parentheses when it is AND/OR and would otherwise bind differently where ``site`` is."""
    parent = site.parent
    if (isinstance(new, exp.Connector) and isinstance(parent, exp.Condition)
            and not isinstance(parent, exp.Paren) and type(parent) is not type(new)):
        return exp.paren(new, copy=False)
    return new


def _conjuncts(condition: exp.Expr) -> list[exp.Expr]:
    """The terms ANDed at the top of a condition (one term when it is not an AND)."""
    inner = condition.unnest()
    return list(inner.flatten()) if isinstance(inner, exp.And) else [inner]


def _and_without(terms: list[exp.Expr], dropped: exp.Expr) -> exp.Expr:
    """The AND of ``terms`` but ``dropped`` (copies)."""
    return exp.and_(*[term for term in terms if term is not dropped])


def _context(node: exp.Expr) -> exp.Expr:
    """The expression a literal sits in, for a description (``t.amount > 100`` for ``100``)."""
    parent = node.parent
    while isinstance(parent, exp.Neg | exp.Cast | exp.Paren | exp.Interval) and parent.parent is not None:
        parent = parent.parent
    return parent or node
