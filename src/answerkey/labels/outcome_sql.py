"""A definition's outcome rule, SQL text, as an Ibis boolean over a table: the same rule on every engine.

The rule is parsed with sqlglot and rebuilt from a small, documented subset: columns, literals (text, numbers,
booleans, NULL), comparisons, ``AND``/``OR``/``NOT``, ``IN (...)``, ``BETWEEN``, ``LIKE``/``ILIKE``,
``IS [NOT] NULL``, arithmetic and parentheses. Anything else is refused by name rather than passed through as
text, so a rule never means one thing on DuckDB and another on Spark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import sqlglot
from ibis.common.exceptions import IbisError
from sqlglot import exp

from answerkey.errors import ParameterError

__all__ = ["outcome_filter"]

_BINARY: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b, exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b, exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b,
    exp.And: lambda a, b: a & b, exp.Or: lambda a, b: a | b, exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b, exp.Div: lambda a, b: a / b,
    exp.Like: lambda a, b: a.like(b), exp.ILike: lambda a, b: a.ilike(b),
}


def outcome_filter(table: Any, rule: str, where: str) -> Any:
    """``rule`` as an Ibis boolean over ``table``'s columns; ``where`` names the rule in errors.

    >>> import ibis
    >>> t = ibis.table({"kind": "string", "amount": "float64"}, name="events")
    >>> outcome_filter(t, "kind IN ('cancel', 'refund') AND amount > 0", "rule").type()
    Boolean(nullable=True)
    """
    try:
        tree = sqlglot.parse_one(rule, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ParameterError(f"{where}: {rule!r} is not SQL ({str(exc).splitlines()[0]})") from None
    if not isinstance(tree, exp.Expression):
        raise ParameterError(f"{where}: {rule!r} is not a SQL expression")
    try:
        result = _build(tree, table, where)
    except ParameterError:
        raise
    except (IbisError, TypeError, ValueError) as exc:  # e.g. a number compared with text
        types = ", ".join(f"{name} {dtype}" for name, dtype in table.schema().items())
        raise ParameterError(f"{where}: {rule!r} does not fit the columns' types ({types}): "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not hasattr(result, "type") or not result.type().is_boolean():
        raise ParameterError(f"{where}: {rule!r} must be a boolean expression (a comparison, IN, LIKE, IS NULL...)")
    return result


def _build(node: exp.Expression, table: Any, where: str) -> Any:
    if isinstance(node, exp.Paren):
        return _build(node.this, table, where)
    if isinstance(node, exp.Column):
        name = node.name
        if name not in table.columns:
            raise ParameterError(f"{where}: no column {name!r} in the events table (columns: "
                                 f"{', '.join(table.columns)})")
        return table[name]
    if isinstance(node, exp.Literal):
        if node.is_string:
            return ibis.literal(node.this)
        try:
            return ibis.literal(int(node.this))  # exact, however large
        except ValueError:
            return ibis.literal(float(node.this))
    if isinstance(node, exp.Boolean):
        return ibis.literal(bool(node.this))
    if isinstance(node, exp.Null):
        return ibis.null()
    if isinstance(node, exp.Not):
        inner = node.this
        if isinstance(inner, exp.Is):  # NOT (x IS NULL), as sqlglot writes IS NOT NULL
            return _build(inner.this, table, where).notnull()
        return ~_build(inner, table, where)
    if isinstance(node, exp.Neg):
        return -_build(node.this, table, where)
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise ParameterError(f"{where}: only IS NULL and IS NOT NULL are supported; got {node.sql()!r}")
        return _build(node.this, table, where).isnull()
    if isinstance(node, exp.In):
        if node.args.get("query") is not None:
            raise ParameterError(f"{where}: IN takes a list of values, not a subquery; got {node.sql()!r}")
        return _build(node.this, table, where).isin([_build(v, table, where) for v in node.expressions])
    if isinstance(node, exp.Between):
        value = _build(node.this, table, where)
        return value.between(_build(node.args["low"], table, where), _build(node.args["high"], table, where))
    if isinstance(node, (exp.Like, exp.ILike)) and "\\" in node.expression.sql():
        raise ParameterError(f"{where}: {node.sql()!r}: a backslash in a LIKE pattern escapes on some engines "
                             "(Spark, PostgreSQL) and not on others (DuckDB); write the pattern without one")
    builder = _BINARY.get(type(node))
    if builder is not None:
        return builder(_build(node.this, table, where), _build(node.expression, table, where))
    raise ParameterError(f"{where}: {node.sql()!r} uses {type(node).__name__}, outside the supported SQL "
                         "(columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL, arithmetic)")
