"""What agent SQL may call: the functions and relations that change an engine's state or reveal its host.

Two barriers read these lists. sqlglot's tree is checked before a query leaves the process
(:func:`answerkey.analytics.sandbox_policy.forbidden_in_tree`), and DuckDB's own parse (``json_serialize_sql``)
is checked inside the sandbox worker (:func:`forbidden_in_duckdb_ast`), so a query sqlglot reads differently
from the engine is still caught. Table functions are allowed by name (everything else is refused); scalar
functions and relations are refused by name or prefix.

This module imports nothing but the standard library: the sandbox worker loads it without the package.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = [
    "DUCKDB_TABLE_FUNCTIONS",
    "family",
    "forbidden_function",
    "forbidden_in_duckdb_ast",
    "forbidden_relation",
]

DUCKDB_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree",
                                    "generate_subscripts"})
"""Table functions analytics needs on DuckDB; any other (``enable_logging``, ``duckdb_settings``, ``query``,
``read_csv``, ...) is refused."""

_DENIED_PREFIXES = {
    "duckdb": ("duckdb_", "pragma_", "enable_", "disable_", "pg_"),
    "postgres": ("pg_", "lo_", "dblink", "txid_", "brin_", "gin_"),
}
_DENIED_NAMES = {
    "duckdb": frozenset({"current_setting", "getenv", "getvariable", "query", "query_table", "checkpoint",
                         "force_checkpoint", "truncate_duckdb_logs", "sql_auto_complete", "which_secret",
                         "read_text", "read_blob", "glob", "install", "load", "json_serialize_sql",
                         "json_serialize_plan", "json_deserialize_sql", "json_execute_serialized_sql",
                         "current_query", "current_query_id", "write_log", "sleep_ms"}),
    "postgres": frozenset({"current_setting", "set_config", "query_to_xml", "query_to_xml_and_xmlschema",
                           "query_to_xmlschema", "table_to_xml", "table_to_xml_and_xmlschema", "cursor_to_xml",
                           "schema_to_xml", "database_to_xml", "database_to_xml_and_xmlschema", "version",
                           "inet_server_addr", "inet_server_port", "inet_client_addr", "inet_client_port",
                           "current_schemas"}),
}
_ALLOWED_NAMES = {"postgres": frozenset({"pg_typeof"}), "duckdb": frozenset()}
_DENIED_RELATION_PREFIXES = {"duckdb": ("duckdb_", "pragma_", "pg_"), "postgres": ("pg_",)}
_DENIED_SCHEMAS = {"postgres": frozenset({"pg_catalog", "pg_toast"}),
                   "duckdb": frozenset({"pg_catalog", "system", "temp"})}
"""Schemas (and, on DuckDB, catalogs) whose relations are the engine's own: settings, paths, sessions."""


def family(dialect: str | None) -> str:
    """Which lists apply: ``postgres`` for PostgreSQL, ``duckdb`` for everything else."""
    return "postgres" if dialect in ("postgres", "postgresql") else "duckdb"


def forbidden_function(name: str, dialect: str | None) -> bool:
    """Whether a scalar or aggregate function of this name may not run in agent SQL."""
    kind, name = family(dialect), name.lower()
    if name in _ALLOWED_NAMES[kind]:
        return False
    return name in _DENIED_NAMES[kind] or name.startswith(_DENIED_PREFIXES[kind])


def forbidden_relation(schema: str, name: str, dialect: str | None, catalog: str = "") -> bool:
    """Whether a table or view of this name may not be read by agent SQL (the engine's own catalogs and
    statistics: other sessions, settings, files)."""
    kind = family(dialect)
    return bool({schema.lower(), catalog.lower()} & _DENIED_SCHEMAS[kind]) \
        or name.lower().startswith(_DENIED_RELATION_PREFIXES[kind])


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value`` (iteratively: a deep query must not exhaust the stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def forbidden_in_duckdb_ast(serialized: str) -> str | None:
    """Why a query may not run, read from DuckDB's own parse (``json_serialize_sql``), or None.

    The parse must hold exactly one SELECT; table functions must be on the allow-list; no denied function
    and no denied relation may appear anywhere (subqueries, CTEs and set operations included).
    """
    document = json.loads(serialized)
    if document.get("error"):
        return f"not one query DuckDB can read: {str(document.get('error_message', ''))[:200]}"
    statements = document.get("statements") or []
    if len(statements) != 1:
        return f"{len(statements)} statements; one query is expected"
    for node in _nodes(statements[0]):
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            name = str(function.get("function_name", "")).lower()
            if name not in DUCKDB_TABLE_FUNCTIONS:
                return f"the table function {name}() is not allowed in answers"
        elif kind == "BASE_TABLE":
            if forbidden_relation(str(node.get("schema_name", "")), str(node.get("table_name", "")), "duckdb",
                                  str(node.get("catalog_name", ""))):
                return f"{node.get('table_name')} is not readable by answers"
        elif node.get("class") == "FUNCTION" and forbidden_function(str(node.get("function_name", "")), "duckdb"):
            return f"the function {str(node.get('function_name')).lower()}() is not allowed in answers"
    return None
