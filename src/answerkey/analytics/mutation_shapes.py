"""The mutation rules that change a gold query's shape: aggregations, joins, DISTINCT, LIMIT, GROUP BY and
ORDER BY (``mutation_rules`` holds those that change its conditions and literals, and the list of all)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from answerkey.analytics.mutants import (
    _as,
    _conjuncts,
    _Edit,
    _given,
    _nothing,
    _replace,
    _with,
)

__all__ = ["SHAPE_RULES", "in_membership_test"]

_AGGREGATES: dict[type[exp.Expr], tuple[type[exp.Expr], ...]] = {
    exp.Sum: (exp.Avg, exp.Count), exp.Avg: (exp.Sum,), exp.Min: (exp.Max,), exp.Max: (exp.Min,)}
"""Each aggregate and the ones it is swapped with."""


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
    """Whether ``term`` is a comparison, LIKE, BETWEEN, IN or IS NOT NULL with an operand that is NULL whenever
    the columns of ``tables`` are: such a term is never true for a row an outer join added."""
    if isinstance(term, exp.Not) and isinstance(term.this, exp.Is) and isinstance(term.this.expression, exp.Null):
        operands = [term.this.this]
    elif isinstance(term, _NULL_REJECTING):
        operands = [term.this] if isinstance(term, exp.Between | exp.In) else [term.this, term.expression]
    else:
        return False
    return any(_null_with(operand, tables) for operand in operands)


_STRICT = (exp.Lower, exp.Upper, exp.Cast, exp.TryCast, exp.Abs, exp.Round, exp.Length, exp.Trim, exp.Paren)
"""Functions whose result is NULL when their argument is (unlike COALESCE, CASE, NULLIF or CONCAT)."""


def _null_with(operand: exp.Expr, tables: set[str]) -> bool:
    """Whether ``operand`` is NULL whenever the columns of ``tables`` are: one of those columns, or a strict
    function or arithmetic over one."""
    if isinstance(operand, exp.Column):
        return operand.table.lower() in tables
    if isinstance(operand, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
        return _null_with(operand.this, tables) or _null_with(operand.expression, tables)
    if isinstance(operand, exp.Extract):
        return _null_with(operand.expression, tables)
    return isinstance(operand, _STRICT) and _null_with(operand.this, tables)


def _joined(join: exp.Expr, target: str) -> exp.Expr:
    """A copy of ``join`` as an INNER, LEFT or RIGHT join."""
    return _with(join, side=None if target == "INNER" else target, kind="INNER" if target == "INNER" else None)


def _distinct(node: exp.Expr, dialect: str) -> Iterator[_Edit]:
    """DISTINCT added to or removed from a SELECT (not one under IN or EXISTS, where it changes nothing); UNION
    and UNION ALL swapped."""
    if isinstance(node, exp.Select) and not in_membership_test(node):
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


def in_membership_test(select: exp.Select) -> bool:
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


SHAPE_RULES = (_aggregation, _join, _distinct, _limit, _group_by, _order_by)
"""The rules of this module, in the order they run."""
