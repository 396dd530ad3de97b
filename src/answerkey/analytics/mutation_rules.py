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
from sqlglot.dialects.dialect import Dialect

from answerkey.analytics.mutants import (
    _and_without,
    _as,
    _conjuncts,
    _context,
    _Edit,
    _fit,
    _fragment,
    _given,
    _nothing,
    _replace,
    _with,
)

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
    if isinstance(parent, exp.Select) and _membership(parent):
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


_AGGREGATES: dict[type[exp.Expr], tuple[type[exp.Expr], ...]] = {
    exp.Sum: (exp.Avg, exp.Count), exp.Avg: (exp.Sum,), exp.Min: (exp.Max,), exp.Max: (exp.Min,)}


def _aggregation(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """SUM as AVG or COUNT, AVG as SUM, MIN and MAX swapped, COUNT with and without DISTINCT, COUNT(*) and
    COUNT(column) swapped."""
    if node.parent is None:
        return
    for other in _AGGREGATES.get(type(node), ()):
        if {type(node), other} == {exp.Sum, exp.Avg} and _signed_against_zero(node):
            continue  # a sum and a mean have the same sign: compared with 0 they cannot be told apart
        yield _replace("aggregation", node, partial(_as, node, other),
                       f"`{node.key.upper()}` became `{other.key.upper()}` in `{{fragment}}`")
    if not isinstance(node, exp.Count):
        return
    counted = node.this
    if isinstance(counted, exp.Distinct) and len(counted.expressions) == 1:
        yield _replace("aggregation", node, partial(_count, counted.expressions[0]),
                       "DISTINCT removed from `{fragment}`")
    elif isinstance(counted, exp.Star):
        column = _counted_column(node)
        if column is not None:
            yield _replace("aggregation", node, partial(_count, column),
                           f"`*` became `{column.sql(dialect=dialect)}` in `{{fragment}}`")
    elif counted is not None:
        yield _replace("aggregation", node, partial(_count_distinct, counted), "DISTINCT added to `{fragment}`")
        yield _replace("aggregation", node, partial(_count, exp.Star()), "`{fragment}` became `COUNT(*)`")


def _signed_against_zero(node: exp.Expr) -> bool:
    """Whether ``node`` is compared with the number 0 (``SUM(x) > 0``)."""
    parent = node.parent
    if not isinstance(parent, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.EQ | exp.NEQ):
        return False
    other = parent.expression if parent.this is node else parent.this
    return isinstance(other, exp.Literal) and not other.is_string and float(other.this) == 0


def _count(counted: exp.Expr) -> exp.Expr:
    """``COUNT`` of a copy of ``counted``."""
    return exp.Count(this=counted.copy())


def _count_distinct(counted: exp.Expr) -> exp.Expr:
    """``COUNT(DISTINCT ...)`` of a copy of ``counted``."""
    return exp.Count(this=exp.Distinct(expressions=[counted.copy()]))


def _counted_column(count: exp.Expr) -> exp.Column | None:
    """The first column the query of ``count`` reads from its first FROM table (from its only table when the
    column is unqualified), or None."""
    select = count.find_ancestor(exp.Select)
    source = select.args.get("from_") or select.args.get("from") if select else None
    if select is None or not isinstance(source, exp.From):
        return None
    table = source.this.alias_or_name.lower() if isinstance(source.this, exp.Table) else None
    alone = not select.args.get("joins")
    for column in select.find_all(exp.Column, bfs=False):
        if isinstance(column.this, exp.Star) or column.find_ancestor(exp.Select) is not select:
            continue
        if (column.table.lower() == table) if column.table else alone:
            return column
    return None


def _join(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """An INNER join as LEFT and as RIGHT; a LEFT, RIGHT or FULL join as INNER."""
    if not isinstance(node, exp.Join) or node.args.get("method") or not (node.args.get("on") or node.args.get("using")):
        return
    side, kind = node.side.upper(), node.kind.upper()
    if not side and kind in ("", "INNER"):
        targets = ["LEFT", "RIGHT"]
    elif side in ("LEFT", "RIGHT", "FULL") and kind in ("", "OUTER"):
        targets = ["INNER"]
    else:
        return
    before = " ".join(part for part in (side, kind, "JOIN") if part)
    for target in targets:
        if target != "INNER" and _outer_rows_rejected(node, target):
            continue
        yield _replace("join", node, partial(_joined, node, target),
                       f"`{before}` became `{target} JOIN` for `{{fragment}}`", node.this)


_NULL_REJECTING = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.Between, exp.In)
"""Conditions that are never true when the column they test is NULL (``NOT IN`` is a NOT above them)."""


def _outer_rows_rejected(join: exp.Join, target: str) -> bool:
    """Whether the rows an INNER join made ``target`` (LEFT or RIGHT) would add are filtered out again, so the
    mutant is the gold: every such row has the NULL-extended side's columns NULL, and a WHERE term, or the ON
    of a later INNER join, that tests one of those columns is never true for it (outer-join simplification)."""
    select = join.parent
    if not isinstance(select, exp.Select) or join not in select.args.get("joins", []):
        return False
    joins = select.args["joins"]
    position = joins.index(join)
    source = select.args.get("from_") or select.args.get("from")
    earlier = [source.this] if isinstance(source, exp.From) else []
    earlier += [j.this for j in joins[:position]]
    extended = [join.this] if target == "LEFT" else earlier
    names = {t.alias_or_name.lower() for t in extended if isinstance(t, exp.Table | exp.Subquery)}
    if len(names) != len(extended):
        return False
    where = select.args.get("where")
    terms = _conjuncts(where.this) if where is not None else []
    for later in joins[position + 1:]:
        if not later.side and later.kind.upper() in ("", "INNER") and later.args.get("on") is not None:
            terms += _conjuncts(later.args["on"])
    return any(_rejects_null_of(term, names) for term in terms)


def _rejects_null_of(term: exp.Expr, tables: set[str]) -> bool:
    """Whether ``term`` is a comparison, LIKE, BETWEEN, IN or IS NOT NULL with a column of ``tables`` itself
    as an operand (not inside a function, which may turn NULL into a value)."""
    if isinstance(term, exp.Not) and isinstance(term.this, exp.Is) and isinstance(term.this.expression, exp.Null):
        operands = [term.this.this]
    elif isinstance(term, _NULL_REJECTING):
        operands = [term.this] if isinstance(term, exp.Between | exp.In) else [term.this, term.expression]
    else:
        return False
    return any(isinstance(o, exp.Column) and o.table.lower() in tables for o in operands)


def _joined(join: exp.Expr, target: str) -> exp.Expr:
    """A copy of ``join`` as an INNER, LEFT or RIGHT join."""
    return _with(join, side=None if target == "INNER" else target, kind="INNER" if target == "INNER" else None)


def _distinct(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """DISTINCT added to or removed from a SELECT (not one under IN or EXISTS, where it changes nothing); UNION
    and UNION ALL swapped."""
    if isinstance(node, exp.Select) and not _membership(node):
        if node.args.get("distinct"):
            yield _Edit("distinct", node, "distinct", _nothing, "DISTINCT removed from `{fragment}`", node)
        elif not _rows_distinct_already(node):
            yield _Edit("distinct", node, "distinct", exp.Distinct, "DISTINCT added to `{fragment}`", node)
    elif isinstance(node, exp.Union):
        distinct = bool(node.args.get("distinct"))
        before, after = ("UNION", "UNION ALL") if distinct else ("UNION ALL", "UNION")
        yield _Edit("distinct", node, "distinct", partial(_given, not distinct), f"`{before}` became `{after}`", node)


def _rows_distinct_already(select: exp.Select) -> bool:
    """Whether DISTINCT could change nothing: one row (an aggregate without GROUP BY, LIMIT 1) or every GROUP BY
    key selected (each row its own group)."""
    limit = select.args.get("limit")
    if limit is not None and isinstance(limit.expression, exp.Literal) and limit.expression.this == "1":
        return True
    group = select.args.get("group")
    projections = [p.unalias() for p in select.expressions]
    if group is None:
        return any(p.find(exp.AggFunc) and not p.find(exp.Window) for p in projections) and not any(
            p.find(exp.Column) and not p.find(exp.AggFunc) for p in projections)
    selected = {p.sql() for p in projections}
    return bool(group.expressions) and all(key.sql() in selected for key in group.expressions)


def _membership(select: exp.Select) -> bool:
    """Whether ``select`` is the subquery of an IN or EXISTS."""
    parent = select.parent
    if isinstance(parent, exp.Subquery):
        parent = parent.parent
    return isinstance(parent, exp.In | exp.Exists)


def _limit(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """LIMIT n as n - 1 (when n > 1) and n + 1, and LIMIT removed."""
    if not isinstance(node, exp.Limit) or node.parent is None:
        return
    count = node.expression
    if isinstance(count, exp.Literal) and count.is_int:
        n = int(count.this)
        for value in ([n - 1] if n > 1 else []) + [n + 1]:
            yield _Edit("limit", node, "expression", partial(exp.Literal.number, value),
                        f"LIMIT {n} became LIMIT {value}", node)
    yield _replace("limit", node, _nothing, "LIMIT removed")


def _group_by(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """Each GROUP BY key dropped (of several, unless the SELECT list or ORDER BY shows it bare, where the query
    could not run without it); a bare column of the SELECT list added as a key."""
    if not isinstance(node, exp.Group) or not isinstance(node.parent, exp.Select):
        return
    select, keys = node.parent, node.expressions
    shown = [e.unalias() for e in select.expressions]
    referenced = {index for key in keys for index in _references(key, select)}
    ordered = [o.this for o in select.args["order"].expressions] if select.args.get("order") else []
    for key in keys if len(keys) > 1 else ():
        if not _references(key, select) and key not in ordered:
            yield _replace("group_by", key, _nothing, "GROUP BY key `{fragment}` dropped")
    for index, column in enumerate(shown):
        if isinstance(column, exp.Column) and index not in referenced and column not in keys:
            yield _Edit("group_by", node, "expressions", partial(_keys_with, keys, column),
                        "GROUP BY key `{fragment}` added", column)


def _references(key: exp.Expr, select: exp.Select) -> list[int]:
    """Positions of the SELECT list that a GROUP BY key stands for: by position, by alias or by equality."""
    if isinstance(key, exp.Literal) and key.is_int:
        return [int(key.this) - 1]
    name = key.name.lower() if isinstance(key, exp.Column) and not key.table else None
    return [index for index, e in enumerate(select.expressions)
            if e.unalias() == key or (name is not None and e.alias and e.alias.lower() == name)]


def _keys_with(keys: list[exp.Expr], column: exp.Expr) -> list[exp.Expr]:
    """The GROUP BY keys and a copy of ``column``."""
    return [*keys, column.copy()]


def _order_by(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """Each ORDER BY key's direction flipped, its NULLS FIRST/LAST flipped when given, and the key dropped (of
    several)."""
    if not isinstance(node, exp.Ordered) or not isinstance(node.parent, exp.Order):
        return
    desc, nulls_first = bool(node.args.get("desc")), bool(node.args.get("nulls_first"))
    given = nulls_first != _nulls_first(dialect, desc)
    flipped_nulls = nulls_first if given else _nulls_first(dialect, not desc)
    before, after = ("DESC", "ASC") if desc else ("ASC", "DESC")
    yield _replace("order_by", node, partial(_with, node, desc=not desc, nulls_first=flipped_nulls),
                   f"`{before}` became `{after}` for `{{fragment}}`", node.this)
    if given and not _never_null(node.this, node.find_ancestor(exp.Select)):
        before, after = ("NULLS FIRST", "NULLS LAST") if nulls_first else ("NULLS LAST", "NULLS FIRST")
        yield _replace("order_by", node, partial(_with, node, nulls_first=not nulls_first),
                       f"`{before}` became `{after}` for `{{fragment}}`", node.this)
    if len(node.parent.expressions) > 1:
        yield _replace("order_by", node, _nothing, "ORDER BY key `{fragment}` dropped")


def _never_null(key: exp.Expr, select: exp.Select | None) -> bool:
    """Whether an ORDER BY key is a COUNT (or the alias of one), which is never NULL: where its NULLs go cannot
    matter."""
    if isinstance(key, exp.Column) and not key.table and select is not None:
        aliased = {e.alias.lower(): e.this for e in select.expressions if isinstance(e, exp.Alias)}
        key = aliased.get(key.name.lower(), key)
    return isinstance(key, exp.Count)


def _nulls_first(dialect: str, desc: bool) -> bool:
    """Whether ``dialect`` puts NULLs first when the order does not say (sqlglot's own reading of it)."""
    ordering = Dialect.get_or_raise(dialect).NULL_ORDERING
    if ordering == "nulls_are_last":
        return False
    return desc != (ordering == "nulls_are_small")


RULES: tuple[Callable[[exp.Expr, str], Iterator[_Edit]], ...] = (
    _comparison, _literal, _predicate, _connective, _aggregation, _join, _distinct, _limit, _group_by, _order_by)
"""Every mutation rule; each reads one node of the tree and proposes its edits."""
