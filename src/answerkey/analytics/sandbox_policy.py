"""The sandbox policy read on sqlglot's tree: the first barrier, before a query leaves the process.

The lists are :mod:`answerkey.analytics.sandbox_rules`, which the sandbox worker also applies to DuckDB's own
parse of the query (the second barrier).
"""

from __future__ import annotations

from sqlglot import exp

from answerkey.analytics.sandbox_rules import (
    DUCKDB_TABLE_FUNCTIONS,
    family,
    forbidden_function,
    forbidden_relation,
)

__all__ = ["forbidden_in_tree"]


def _function_name(node: exp.Func) -> str:
    """The name a function is called by, unquoted (``"pg_sleep"(1)`` calls ``pg_sleep``)."""
    if isinstance(node, exp.Anonymous):
        inner = node.this
        return inner.name if isinstance(inner, exp.Identifier) else str(inner).strip('"`')
    return node.sql_name()


def forbidden_in_tree(tree: exp.Expr, dialect: str | None) -> str | None:
    """Why a parsed query may not run (a denied function or relation), or None."""
    kind = family(dialect)
    for node in tree.walk():
        if isinstance(node, exp.Table):
            inner = node.this
            if isinstance(inner, exp.Func):  # a table function: allowed by name only
                name = _function_name(inner).lower()
                if kind == "duckdb" and name not in DUCKDB_TABLE_FUNCTIONS:
                    return f"the table function {name}() is not allowed in answers"
                if kind == "postgres" and forbidden_function(name, dialect):
                    return f"the function {name}() is not allowed in answers"
            elif forbidden_relation(node.db, node.name, dialect, node.catalog):
                return f"{'.'.join(p for p in (node.catalog, node.db, node.name) if p)} is not readable by answers"
        elif isinstance(node, exp.Func) and forbidden_function(_function_name(node), dialect):
            return f"the function {_function_name(node).lower()}() is not allowed in answers"
    return None
