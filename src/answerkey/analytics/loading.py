"""Loading a PostgreSQL dump (DDL and INSERTs) into a DuckDB file, translated statement by statement with sqlglot."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from answerkey.analytics.translate import PostgresVerbatimTemplates, TranslationError, translate_template
from answerkey.errors import ParameterError

__all__ = ["load_postgres_dump", "postgres_to_duckdb"]

_UNITS = {"MIN": "MINUTE", "MINS": "MINUTE", "SEC": "SECOND", "SECS": "SECOND", "HR": "HOUR", "HRS": "HOUR"}
"""Abbreviated interval units PostgreSQL reads and DuckDB does not."""
_SERIAL = re.compile(r"\b(BIG|SMALL)?SERIAL\b", re.IGNORECASE)


def postgres_to_duckdb(sql: str) -> list[str]:
    """DuckDB statements for a PostgreSQL script: ``SERIAL`` becomes ``INTEGER``, ``public.`` is dropped,
    foreign keys are dropped (DuckDB refuses some PostgreSQL accepts, such as INT referencing BIGINT, and a
    read-only warehouse never checks them), ``to_char``/``to_date`` templates are translated as gold SQL is
    (``'Month'`` written blank-padded, as PostgreSQL stores it), a template that is no PostgreSQL template but
    strftime with MySQL's ``%i`` and ``%s`` (as some dumps write by mistake) is read as the strftime meant,
    abbreviated interval units (``'15 min'``) are spelt out, and
    session settings and ownership statements, which mean nothing in DuckDB, are skipped."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    statements = []
    script = _SERIAL.sub(lambda m: "BIGINT" if m.group(1) else "INTEGER", sql)
    for tree in sqlglot.parse(script, read=PostgresVerbatimTemplates):
        if tree is None or isinstance(tree, exp.Set | exp.Command | exp.Transaction | exp.Commit):
            continue
        for table in tree.find_all(exp.Table):
            if table.db and table.db.lower() == "public":
                table.set("db", None)
        for constraint in list(tree.find_all(exp.Reference, exp.ForeignKey)):
            parent = constraint.parent
            constraint.pop()
            if isinstance(parent, exp.ColumnConstraint) and parent.args.get("kind") is None:
                parent.pop()
        for node in list(tree.find_all(exp.TimeToStr, exp.StrToDate, exp.StrToTime)):
            if isinstance(node, exp.TimeToStr | exp.StrToDate | exp.StrToTime):
                _translate_template(node)
        for interval in tree.find_all(exp.Interval):
            unit = interval.args.get("unit")
            if isinstance(unit, exp.Var) and unit.name.upper() in _UNITS:
                interval.set("unit", exp.var(_UNITS[unit.name.upper()]))
        statements.append(tree.sql(dialect="duckdb"))
    return statements


def _translate_template(node: exp.TimeToStr | exp.StrToDate | exp.StrToTime) -> None:
    """A date template as PostgreSQL means it; one with ``%`` that PostgreSQL cannot read as a template is taken
    as the strftime its writer meant (MySQL's ``%i`` minutes and ``%s`` seconds spelt as strftime)."""
    template = node.args.get("format")
    try:
        translate_template(node)
    except TranslationError:
        if not (isinstance(template, exp.Literal) and "%" in template.this):
            raise
        node.set("format", exp.Literal.string(template.this.replace("%i", "%M").replace("%s", "%S")))


def load_postgres_dump(dump: str | Path, target: str | Path) -> Path:
    """Create the DuckDB file ``target`` from the PostgreSQL script ``dump`` (all or nothing)."""
    import duckdb

    source, target = Path(dump), Path(target)
    if target.exists():
        raise ParameterError(f"{target} exists already; pick a new file")
    try:
        statements = postgres_to_duckdb(source.read_text(encoding="utf-8"))
    except ParseError as error:
        raise ParameterError(f"{source}: not SQL sqlglot can read: {str(error).splitlines()[0]}") from None
    except TranslationError as error:
        raise ParameterError(f"{source}: {error}") from None
    connection = duckdb.connect(str(target))
    try:
        connection.execute("BEGIN")
        for number, statement in enumerate(statements, start=1):
            try:
                connection.execute(statement)
            except duckdb.Error as error:
                connection.execute("ROLLBACK")
                raise ParameterError(f"{source}: statement {number} failed in DuckDB: {error}") from None
        connection.execute("COMMIT")
    except BaseException:
        connection.close()
        target.unlink(missing_ok=True)
        raise
    connection.close()
    return target
