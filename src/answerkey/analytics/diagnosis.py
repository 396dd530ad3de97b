"""Why a wrong answer is wrong: what its SQL does differently from the gold's, read with sqlglot.

Tables, joins, filters (WHERE and HAVING conjuncts, with a changed comparison operator on the same operands
called out), aggregations, grouping, DISTINCT and LIMIT. Aliases are resolved to table names, so ``p.amount``
and ``payments.amount`` are the same column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from answerkey.analytics.sql import parse_one

__all__ = ["Difference", "sql_differences"]

_COMPARISONS = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.NEQ)


@dataclass(frozen=True)
class Difference:
    """One way the answer's query differs from the gold's."""

    kind: str
    what: str
    gold: list[str]
    answer: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _aliases(tree: exp.Expr) -> dict[str, str]:
    mapping = {}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        mapping[(table.alias_or_name or name).lower()] = name
    return mapping


def _canonical(node: exp.Expr, aliases: dict[str, str], dialect: str | None) -> str:
    """SQL text of ``node`` with table aliases replaced by table names (no qualifier at all when the query reads
    one table), identifiers lower-cased."""
    copy = node.copy()
    single = len(set(aliases.values())) == 1
    for column in copy.find_all(exp.Column):
        if single:
            column.set("table", None)
        elif column.table and column.table.lower() in aliases:
            column.set("table", exp.to_identifier(aliases[column.table.lower()]))
    return copy.sql(dialect=dialect, normalize=True)


def _conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    if condition is None:
        return []
    if isinstance(condition, exp.And):
        return [*_conjuncts(condition.left), *_conjuncts(condition.right)]
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


@dataclass(frozen=True)
class _Shape:
    tables: set[str]
    joins: list[str]
    filters: dict[str, tuple[type, str, str] | None]
    """Canonical conjunct -> (comparison type, left operand, right operand) for comparisons."""
    aggregations: set[str]
    grouping: set[str]
    distinct: bool
    limit: str | None


def _shape(sql: str, dialect: str | None) -> _Shape:
    tree = parse_one(sql, dialect)
    aliases = _aliases(tree)
    top = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    filters: dict[str, tuple[type, str, str] | None] = {}
    for clause in (*tree.find_all(exp.Where), *tree.find_all(exp.Having)):
        for conjunct in _conjuncts(clause.this):
            operands = None
            if isinstance(conjunct, _COMPARISONS):
                operands = (type(conjunct), _canonical(conjunct.left, aliases, dialect),
                            _canonical(conjunct.right, aliases, dialect))
            filters[_canonical(conjunct, aliases, dialect)] = operands
    joins = sorted(" ".join(w for w in ((j.side or "").upper(), (j.kind or "").upper(), "JOIN",
                                        j.this.name.lower() or "(subquery)") if w)
                   for j in tree.find_all(exp.Join))
    limit = top.args.get("limit") if top is not None else None
    return _Shape(
        tables={t.name.lower() for t in tree.find_all(exp.Table)},
        joins=joins,
        filters=filters,
        aggregations={_canonical(a, aliases, dialect) for a in tree.find_all(exp.AggFunc)},
        grouping={_canonical(_positional(g, top), aliases, dialect) for group in tree.find_all(exp.Group)
                  for g in group.expressions},
        distinct=top is not None and top.args.get("distinct") is not None,
        limit=limit.expression.sql() if limit is not None and limit.expression is not None else None,
    )


def _positional(node: exp.Expr, select: exp.Select | None) -> exp.Expr:
    """``GROUP BY 2`` as the second selected expression (without its alias)."""
    if select is not None and isinstance(node, exp.Literal) and node.is_int:
        position = int(node.this)
        if 1 <= position <= len(select.expressions):
            chosen: exp.Expr = select.expressions[position - 1]
            if isinstance(chosen, exp.Alias):
                inner: exp.Expr = chosen.this
                return inner
            return chosen
    return node


def _operator_changes(gold: _Shape, answer: _Shape) -> list[str]:
    """Comparisons of the same operands with a different operator (``>`` vs ``>=``)."""
    by_operands = {(o[1], o[2]): text for text, o in answer.filters.items() if o is not None}
    changes = []
    for text, operands in gold.filters.items():
        if operands is None:
            continue
        other = by_operands.get((operands[1], operands[2]))
        found = answer.filters.get(other) if other is not None else None
        if found is not None and found[0] is not operands[0]:
            changes.append(f"{text} became {other}")
    return changes


def sql_differences(gold_sql: str, answer_sql: str, dialect: str | None = None) -> list[Difference]:
    """What the answer's query does differently from the gold's; empty when either does not parse."""
    try:
        gold, answer = _shape(gold_sql, dialect), _shape(answer_sql, dialect)
    except SqlglotError:
        return []
    differences = []

    def compare(kind: str, what: str, left: set[str], right: set[str]) -> None:
        if left != right:
            differences.append(Difference(kind, what, sorted(left - right), sorted(right - left)))

    compare("tables", "reads other tables", gold.tables, answer.tables)
    if sorted(gold.joins) != sorted(answer.joins):
        differences.append(Difference("joins", "joins differently", sorted(set(gold.joins) - set(answer.joins)),
                                      sorted(set(answer.joins) - set(gold.joins))))
    changed = _operator_changes(gold, answer)
    if changed:
        differences.append(Difference("operator", "compares with another operator", changed, []))
    compare("filters", "filters differently", set(gold.filters), set(answer.filters))
    compare("aggregations", "aggregates differently", gold.aggregations, answer.aggregations)
    compare("grouping", "groups differently", gold.grouping, answer.grouping)
    if gold.distinct != answer.distinct:
        differences.append(Difference("distinct", "DISTINCT differs", [str(gold.distinct)], [str(answer.distinct)]))
    if gold.limit != answer.limit:
        differences.append(Difference("limit", "LIMIT differs", [gold.limit or "none"], [answer.limit or "none"]))
    return differences
