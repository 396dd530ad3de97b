"""The mutation rules: each reads one node of a gold query's sqlglot tree and proposes small edits of one kind.

``answerkey.analytics.mutants`` runs every rule in ``RULES`` over the tree, then renders and samples the edits;
the rules build those edits with its helpers (``_replace``, ``_Edit``...), so it imports this module when it
runs them, not at its top.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial

from sqlglot import exp

from answerkey.analytics.mutants import (
    _and_without,
    _as,
    _conjuncts,
    _context,
    _Edit,
    _fit,
    _fragment,
    _nothing,
    _replace,
    _with,
)
from answerkey.analytics.mutation_shapes import SHAPE_RULES, in_membership_test

__all__ = ["RULES"]


# -- the rules: each reads one node and proposes edits -------------------------------------------------------

_NEIGHBOURS: dict[type[exp.Expr], tuple[type[exp.Expr], ...]] = {
    exp.GT: (exp.GTE, exp.LT), exp.GTE: (exp.GT, exp.LTE), exp.LT: (exp.LTE, exp.GT), exp.LTE: (exp.LT, exp.GTE),
    exp.EQ: (exp.NEQ, exp.GTE, exp.LTE), exp.NEQ: (exp.EQ,)}
_SYMBOLS: dict[type[exp.Expr], str] = {
    exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.EQ: "=", exp.NEQ: "<>"}


def _comparison(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """Each comparison operator as each of its neighbours; BETWEEN made exclusive on either side."""
    for other in _NEIGHBOURS.get(type(node), ()):
        if _same_on_booleans(node, other):
            continue
        yield _replace("comparison", node, partial(_as, node, other),
                       f"`{_SYMBOLS[type(node)]}` became `{_SYMBOLS[other]}` in `{{fragment}}`")
    if isinstance(node, exp.Between):
        for side, low, high in (("lower", exp.GT, exp.LTE), ("upper", exp.GTE, exp.LT)):
            yield _replace("comparison", node, partial(_exclusive, node, low, high),
                           f"{side} bound made exclusive in `{{fragment}}`")


def _same_on_booleans(node: exp.Expr, other: type[exp.Expr]) -> bool:
    """``x = TRUE`` is ``x >= TRUE`` and ``x = FALSE`` is ``x <= FALSE``: mutants no database can tell apart."""
    value = node.expression if isinstance(node.expression, exp.Boolean) else (
        node.this if isinstance(node.this, exp.Boolean) else None)
    if not isinstance(node, exp.EQ) or value is None:
        return False
    upward = (other is exp.GTE) == (value is node.expression)  # x >= TRUE, or TRUE <= x
    return bool(value.this) == upward


def _exclusive(between: exp.Expr, low: type[exp.Expr], high: type[exp.Expr]) -> exp.Expr:
    """``x BETWEEN a AND b`` as ``x low a AND x high b``."""
    this = between.this
    return _fit(exp.and_(low(this=this.copy(), expression=between.args["low"].copy()),
                         high(this=this.copy(), expression=between.args["high"].copy())), between)


def _literal(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """Numbers, dates and intervals one unit off; one IN element dropped; LIKE patterns loosened or recased;
    ILIKE for LIKE; TRUE for FALSE."""
    if isinstance(node, exp.Literal) and not node.is_string and not _is_position(node):
        site = node.parent if isinstance(node.parent, exp.Neg) else node  # -5 is NEG(5); its steps are -6, -4
        text = f"-{node.this}" if site is not node else node.this
        for value in _numeric_steps(text):
            yield _replace("literal", site, partial(exp.Literal.number, value),
                           f"`{text}` became `{value}` in `{{fragment}}`", _context(node))
    elif isinstance(node, exp.Literal) and node.is_string and _is_temporal_site(node):
        for value in _temporal_steps(node.this):
            yield _replace("literal", node, partial(exp.Literal.string, value),
                           f"'{node.this}' became '{value}' in `{{fragment}}`", _context(node))
    elif isinstance(node, exp.Interval) and isinstance(node.this, exp.Literal):
        literal = node.this
        for value in _interval_steps(literal.name):
            yield _replace("literal", literal, partial(exp.Literal, this=value, is_string=literal.is_string),
                           f"interval `{literal.name}` became `{value}` in `{{fragment}}`", _context(literal))
    elif isinstance(node, exp.In) and len(node.expressions) > 1:
        for element in node.expressions:
            yield _replace("literal", element, _nothing,
                           f"dropped `{_fragment(element, dialect)}` from `{{fragment}}`", node)
    elif isinstance(node, exp.Like | exp.ILike):
        yield from _like(node)
    elif isinstance(node, exp.Boolean) and node.parent is not None:
        before, after = ("TRUE", "FALSE") if node.this else ("FALSE", "TRUE")
        yield _replace("literal", node, partial(exp.Boolean, this=not node.this),
                       f"`{before}` became `{after}` in `{{fragment}}`", _context(node))


def _like(node: exp.Like | exp.ILike) -> Iterator[_Edit]:
    """A ``%x%`` pattern as ``x%`` and ``%x``, a LIKE pattern in other case, and ILIKE for LIKE and back."""
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        text = pattern.this
        variants = [text[1:], text[:-1]] if len(text) > 2 and text[0] == text[-1] == "%" else []
        if isinstance(node, exp.Like):
            variants.append(text.lower() if text != text.lower() else text.upper())
        for value in dict.fromkeys(v for v in variants if v != text):
            yield _replace("literal", pattern, partial(exp.Literal.string, value),
                           f"pattern '{text}' became '{value}' in `{{fragment}}`", node)
    if _case_folded(node):
        return  # LOWER(x) LIKE '%abc%' and LOWER(x) ILIKE '%abc%' are the same test
    swapped, before, after = (exp.ILike, "LIKE", "ILIKE") if isinstance(node, exp.Like) else (exp.Like, "ILIKE", "LIKE")
    yield _replace("literal", node, partial(_as, node, swapped), f"`{before}` became `{after}` in `{{fragment}}`")


def _case_folded(node: exp.Like | exp.ILike) -> bool:
    """Whether the text is folded to one case and the pattern is written in that case (case cannot matter)."""
    pattern = node.expression
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return False
    if isinstance(node.this, exp.Lower):
        return bool(pattern.this == pattern.this.lower())
    if isinstance(node.this, exp.Upper):
        return bool(pattern.this == pattern.this.upper())
    return False


def _is_position(literal: exp.Expr) -> bool:
    """Whether a number is a row count or a column position (LIMIT 5, GROUP BY 1, ORDER BY 2), a type
    parameter (DECIMAL(10, 2)), an interval, what EXISTS selects, the 0 of a division guard (``NULLIF(x, 0)``)
    or a value only counted (``COUNT(CASE WHEN c THEN 1 END)``): none of them a value to nudge."""
    parent = literal.parent
    if isinstance(parent, exp.Nullif) and parent.expression is literal:
        return True
    case = parent.parent if isinstance(parent, exp.If) else parent
    if isinstance(case, exp.Case) and isinstance(case.parent, exp.Count | exp.Distinct):
        return True
    if isinstance(parent, exp.Limit | exp.Offset | exp.Fetch | exp.Group | exp.Interval | exp.DataTypeParam):
        return True
    if isinstance(parent, exp.Select) and in_membership_test(parent):
        return True  # EXISTS (SELECT 1 ...)
    return isinstance(parent, exp.Ordered) and isinstance(parent.parent, exp.Order) and literal.is_int


def _is_temporal_site(literal: exp.Literal) -> bool:
    """Whether a string is a date or time by its place: cast to a date/time type, or compared."""
    parent = literal.parent
    if isinstance(parent, exp.Cast):
        return parent.to.is_type(*exp.DataType.TEMPORAL_TYPES)
    return type(parent) in _SYMBOLS or isinstance(parent, exp.Between)


def _numeric_steps(text: str) -> list[str]:
    """A number one unit of its last digit down and up (``1.50`` -> ``1.49``, ``1.51``)."""
    if "e" in text.lower():
        return []
    try:
        value = Decimal(text)
    except InvalidOperation:
        return []
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN, Infinity
        return []
    unit = Decimal(1).scaleb(exponent)
    return [str(value - unit), str(value + unit)]


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})([ T])(\d{2}:\d{2})(:\d{2})?(\.\d{1,6})?")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _temporal_steps(text: str) -> list[str]:
    """An ISO date, date-time or year-month one unit of its finest part down and up, written alike: a day, a
    second (a minute without seconds), a month; nothing for text that is not one."""
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            return [(day + timedelta(days=step)).isoformat() for step in (-1, 1)]
        if match := _DATETIME.fullmatch(text):
            moment = datetime.fromisoformat(f"{match[1]} {match[3]}{match[4] or ''}")
            step = timedelta(seconds=1) if match[4] else timedelta(minutes=1)
            shape = f"%Y-%m-%d{match[2]}%H:%M" + (":%S" if match[4] else "")
            return [(moment + sign * step).strftime(shape) + (match[5] or "") for sign in (-1, 1)]
        if (match := _MONTH.fullmatch(text)) and 1 <= int(match[2]) <= 12:
            months = int(match[1]) * 12 + int(match[2]) - 1
            return [f"{(months + step) // 12:04d}-{(months + step) % 12 + 1:02d}" for step in (-1, 1)]
    except ValueError:
        return []
    return []


def _interval_steps(text: str) -> list[str]:
    """An interval's count one down (when above zero) and one up, its unit kept (``10 days`` -> ``9 days``)."""
    match = re.fullmatch(r"(\s*)(\d+)(\s*[A-Za-z]*\s*)", text)
    if not match:
        return []
    count = int(match[2])
    return [f"{match[1]}{value}{match[3]}" for value in (count - 1, count + 1) if value >= 0]


def _predicate(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """Each term of a WHERE, HAVING or multi-term JOIN ON dropped (the whole clause when it has one); NOT
    removed or added; IS NULL and IS NOT NULL swapped."""
    if isinstance(node, exp.Where | exp.Having) and node.parent is not None:
        clause = "WHERE" if isinstance(node, exp.Where) else "HAVING"
        terms = _conjuncts(node.this)
        if len(terms) == 1 and isinstance(node.parent, exp.Filter):  # SUM(x) FILTER (WHERE ...)
            yield _replace("predicate", node.parent, node.parent.this.copy, "dropped FILTER (WHERE `{fragment}`)",
                           node.this)
        elif len(terms) == 1:
            yield _replace("predicate", node, _nothing, f"dropped {clause} `{{fragment}}`", node.this)
        for term in terms if len(terms) > 1 else ():
            yield _Edit("predicate", node, "this", partial(_and_without, terms, term),
                        f"dropped `{{fragment}}` from {clause}", term)
    elif isinstance(node, exp.Join) and node.args.get("on") is not None:
        terms = _conjuncts(node.args["on"])
        for term in terms if len(terms) > 1 else ():
            yield _Edit("predicate", node, "on", partial(_and_without, terms, term),
                        "dropped `{fragment}` from JOIN ON", term)
    elif isinstance(node, exp.Not) and node.parent is not None:  # DuckDB reads x IS NOT NULL as NOT x IS NULL
        null_test = _is_null_test(node.this)
        note = "`IS NOT NULL` became `IS NULL` in `{fragment}`" if null_test else "NOT removed from `{fragment}`"
        yield _replace("predicate", node, node.this.copy, note)
    elif _is_null_test(node) and node.parent is not None:
        if not isinstance(node.parent, exp.Not):
            before, after = ("IS NOT NULL", "IS NULL") if node.args.get("negate") else ("IS NULL", "IS NOT NULL")
            yield _replace("predicate", node, partial(_with, node, negate=not node.args.get("negate")),
                           f"`{before}` became `{after}` in `{{fragment}}`")
    elif isinstance(node, exp.Predicate) and _in_filter(node):
        yield _replace("predicate", node, partial(exp.not_, node), "NOT added before `{fragment}`")


def _is_null_test(node: exp.Expr) -> bool:
    """Whether ``node`` is ``x IS NULL`` or ``x IS NOT NULL``."""
    return isinstance(node, exp.Is) and isinstance(node.expression, exp.Null)


def _in_filter(node: exp.Expr) -> bool:
    """Whether ``node`` is a term of a WHERE or HAVING condition (under AND, OR and parentheses only)."""
    parent = node.parent
    while isinstance(parent, exp.Connector | exp.Paren):
        parent = parent.parent
    return isinstance(parent, exp.Where | exp.Having)


def _connective(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """Each AND as OR and each OR as AND."""
    if isinstance(node, exp.And | exp.Or) and node.parent is not None:
        before, after = ("AND", "OR") if isinstance(node, exp.And) else ("OR", "AND")
        yield _replace("connective", node, partial(_flipped, node), f"`{before}` became `{after}` in `{{fragment}}`")


def _flipped(node: exp.Expr) -> exp.Expr:
    """An AND as OR (or back), parenthesised as its place needs."""
    combine = exp.or_ if isinstance(node, exp.And) else exp.and_
    return _fit(combine(node.this, node.expression), node)


RULES: tuple[Callable[[exp.Expr, str], Iterator[_Edit]], ...] = (
    _comparison, _literal, _predicate, _connective, *SHAPE_RULES)
"""Every mutation rule; each reads one node of the tree and proposes its edits."""
