"""``context check``: the context layer against the warehouse's data and the golden set's SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import yaml
from sqlglot import exp
from sqlglot.errors import SqlglotError

from answerkey.analytics.context import Column, ContextLayer, TableEntry
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.semantic_check import check_semantic_layer
from answerkey.analytics.sql import parse_one
from answerkey.analytics.warehouse import ExecutionError, Warehouse
from answerkey.findings import Finding, Severity

__all__ = ["check_context", "draft_from_warehouse", "warehouse_columns"]


def warehouse_columns(warehouse: Warehouse) -> dict[str, list[tuple[str, str]]]:
    """Table (lower case, without schema) -> [(column, type)] as the warehouse has them."""
    rows = warehouse.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                             "ORDER BY table_schema, table_name, ordinal_position").rows
    tables: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table, column, kind in rows:
        tables[str(table).lower()].append((str(column), str(kind)))
    return dict(tables)


def _used(sql: str, dialect: str, columns: dict[str, list[tuple[str, str]]]) -> set[tuple[str, str | None]]:
    """(table, column) pairs a query reads; column None for the table itself."""
    tree = parse_one(sql, dialect)
    aliases = {(t.alias_or_name or t.name).lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    tables = set(aliases.values())
    used: set[tuple[str, str | None]] = {(t, None) for t in tables}
    outputs = {s.alias.lower() for s in tree.find_all(exp.Alias)}
    for column in tree.find_all(exp.Column):
        name = column.name.lower()
        if column.table:
            table = aliases.get(column.table.lower())
            if table:
                used.add((table, name))
            continue
        owners = [t for t in tables if any(c.lower() == name for c, _ in columns.get(t, []))]
        if owners:
            used.update((t, name) for t in owners)
        elif name not in outputs and len(tables) == 1:
            used.add((next(iter(tables)), name))
    return used


def _finding(check: str, where: str, what: str, severity: Severity = Severity.ERROR, **evidence: object) -> Finding:
    return Finding(check=f"context.{check}", what=what, where=where, severity=severity, evidence=dict(evidence))


def _is_unique(warehouse: Warehouse, table: str, column: str) -> bool | None:
    try:
        row = warehouse.execute(f'SELECT count(*) = count(DISTINCT "{column}") FROM {table}').rows[0]
    except ExecutionError:
        return None
    return bool(row[0])


def check_context(context: ContextLayer, warehouse: Warehouse,
                  questions: Sequence[GoldenQuestion] = ()) -> list[Finding]:
    """Findings: tables and columns the gold SQL uses with no entry or an empty description, metrics defined
    twice differently, endorsed metrics on deprecated tables, relationships whose keys are missing or whose
    cardinality the data contradicts, columns said to be unique that are not, stale entries, and semantic metrics
    that do not compile or fail on the warehouse (see :mod:`answerkey.analytics.semantic_check`)."""
    columns = warehouse_columns(warehouse)
    findings: list[Finding] = []
    for table in context.tables:
        key = table.name.lower().split(".")[-1]
        if key not in columns:
            findings.append(_finding("stale_table", f"table {table.name}", "described but not in the warehouse",
                                     Severity.WARNING))
            continue
        present = {c.lower() for c, _ in columns[key]}
        for column in table.columns:
            if column.name.lower() not in present:
                findings.append(_finding("stale_column", f"column {table.name}.{column.name}",
                                         "described but not in the warehouse", Severity.WARNING))
            elif column.unique and _is_unique(warehouse, table.name, column.name) is False:
                findings.append(_finding("not_unique", f"column {table.name}.{column.name}",
                                         "described as unique, but the data holds duplicates"))
    by_name: dict[str, set[str]] = defaultdict(set)
    for metric in context.metrics:
        by_name[metric.name.lower()].add(metric.definition())
        if metric.status in ("certified", "endorsed") and metric.table:
            entry = context.table(metric.table)
            if entry is not None and entry.status == "deprecated":
                findings.append(_finding("metric_on_deprecated", f"metric {metric.name}",
                                         f"{metric.status}, but built on deprecated table {entry.name} (use "
                                         f"{entry.replacement})"))
    for name, definitions in by_name.items():
        if len(definitions) > 1:
            findings.append(_finding("metric_conflict", f"metric {name}", f"defined {len(definitions)} ways: "
                                     + " | ".join(sorted(definitions))))
    findings.extend(check_semantic_layer(context, warehouse))
    for relationship in context.relationships:
        findings.extend(_relationship_findings(relationship.left, relationship.right, relationship.cardinality,
                                               columns, warehouse))
    used: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for question in questions:
        for sql in question.alternatives():
            try:
                for pair in _used(sql, question.dialect or warehouse.dialect, columns):
                    used[pair].add(question.id)
            except SqlglotError:
                continue
    for (table_name, column_name), ids in sorted(used.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        described = context.table(table_name)
        if column_name is None and (described is None or not described.description.strip()):
            findings.append(_finding("undescribed_table", f"table {table_name}", f"used by {len(ids)} golden "
                                     "question(s) but not described", Severity.WARNING, questions=sorted(ids)))
        elif column_name is not None and described is not None and not _described(described.column(column_name)):
            findings.append(_finding("undescribed_column", f"column {table_name}.{column_name}",
                                     f"used by {len(ids)} golden question(s) but not described", Severity.WARNING,
                                     questions=sorted(ids)))
    return findings


def _described(column: Column | None) -> bool:
    return column is not None and bool(column.description.strip())


def _relationship_findings(left: str, right: str, cardinality: str, columns: dict[str, list[tuple[str, str]]],
                           warehouse: Warehouse) -> list[Finding]:
    where = f"relationship {left} = {right}"
    findings = []
    sides = []
    for side in (left, right):
        table, _, column = side.rpartition(".")
        short = table.lower().split(".")[-1]
        if short not in columns or column.lower() not in {c.lower() for c, _ in columns[short]}:
            findings.append(_finding("relationship_key_missing", where, f"{side} is not in the warehouse"))
        sides.append((table, column))
    if findings:
        return findings
    must_be_unique = {"one_to_one": (0, 1), "one_to_many": (0,), "many_to_one": (1,), "many_to_many": ()}[cardinality]
    for index in must_be_unique:
        table, column = sides[index]
        if _is_unique(warehouse, table, column) is False:
            findings.append(_finding("cardinality_contradicted", where, f"declared {cardinality.replace('_', '-')}, "
                                     f"but {table}.{column} repeats values"))
    return findings


def draft_from_warehouse(warehouse: Warehouse, folder: str | Path) -> list[Path]:
    """Draft ``tables/<table>.yaml`` for every warehouse table not yet described (existing files are never
    touched); columns that hold unique values are marked ``unique``. Returns the files written."""
    target = Path(folder) / "tables"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for table, table_columns in warehouse_columns(warehouse).items():
        path = target / f"{table}.yaml"
        if path.exists():
            continue
        entry = TableEntry(name=table, status="draft", columns=[
            Column(name=name, type=kind, unique=bool(_is_unique(warehouse, table, name)))
            for name, kind in table_columns])
        path.write_text(yaml.safe_dump(entry.model_dump(exclude_defaults=True), sort_keys=False), encoding="utf-8")
        written.append(path)
    return written
