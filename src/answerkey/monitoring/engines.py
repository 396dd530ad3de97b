"""Where monitoring runs: an Ibis connection (DuckDB by default, Spark, or any Ibis URL) and its tables.

Monitoring never pulls a prediction log into Python: every statistic is an Ibis expression that the engine
evaluates where the data is, and only small per-window tables come back. This module is the one place that
knows how to get a connection and how to put an input (a Parquet or CSV path, an Ibis table, a pandas, polars
or pyarrow frame) on it, so that the statistics do not care which engine they run on.

Engines:

- ``"duckdb"`` (the default): DuckDB in memory; Parquet and CSV files are read in place.
- a path ending ``.duckdb``, ``.ddb`` or ``.db``: a DuckDB database file.
- ``"spark"``: Ibis's PySpark backend on the active Spark session, or a new local one (UTC session time
  zone, so that windows are cut at UTC midnight like on DuckDB).
- any Ibis URL (``postgres://...``, ``duckdb:///warehouse.duckdb``...), through :func:`ibis.connect`.
- an Ibis backend, or a ``pyspark.sql.SparkSession``, used as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend
from ibis.common.exceptions import IbisError

from answerkey.errors import ParameterError

__all__ = ["DUCKDB_SUFFIXES", "ENGINES", "as_table", "backend_name", "connect", "table_backend"]

ENGINES = ("duckdb", "spark")
"""The engines named by a word; anything else is a DuckDB file path or an Ibis URL."""

DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
"""File suffixes taken for a DuckDB database file."""

_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".txt")


def connect(engine: str | Path | Any = "duckdb") -> Any:
    """An Ibis connection for ``engine`` (see the module docstring for the accepted forms).

    >>> backend_name(connect())
    'duckdb'
    """
    if isinstance(engine, BaseBackend):
        return engine
    if _is_spark_session(engine):
        return ibis.pyspark.connect(engine)
    if not isinstance(engine, str | Path):
        raise ParameterError.invalid("engine", "'duckdb', 'spark', a DuckDB file, an Ibis URL or an Ibis backend",
                                     engine)
    text = str(engine)
    if text == "duckdb":
        return ibis.duckdb.connect()
    if text == "spark":
        return ibis.pyspark.connect(_local_spark_session())
    if "://" in text:
        try:
            return ibis.connect(text)
        except Exception as exc:  # any driver's failure to connect: say which URL and why
            raise ParameterError(f"engine URL {text!r} did not connect: {exc}") from exc
    if text.lower().endswith(DUCKDB_SUFFIXES):
        return ibis.duckdb.connect(text)
    raise ParameterError.invalid(
        "engine", f"'duckdb', 'spark', a DuckDB file ({', '.join(DUCKDB_SUFFIXES)}) or an Ibis URL", engine)


def backend_name(con: Any) -> str:
    """The short name of an Ibis backend (``duckdb``, ``pyspark``...), for messages and engine switches."""
    return str(getattr(con, "name", type(con).__module__.split(".")[-1]))


def as_table(data: Any, con: Any, *, what: str = "table") -> Any:
    """``data`` as an Ibis table on ``con``, without reading it into Python.

    ``data`` is a Parquet or CSV path (or glob, or a directory of Parquet files), an Ibis table (bound to
    ``con``, or built on in-memory data), or a pandas, polars or pyarrow frame (already in memory: it becomes
    an Ibis memtable that the engine registers once). ``what`` names the input in error messages.

    >>> import pandas as pd
    >>> con = connect()
    >>> table = as_table(pd.DataFrame({"prediction_id": [1, 2]}), con, what="predictions")
    >>> int(con.execute(table.count()))
    2
    """
    if isinstance(data, ir.Table):
        _check_same_backend(data, con, what)
        return data
    if isinstance(data, str | Path):
        return _read_path(data, con, what)
    if _is_frame(data):
        return ibis.memtable(data)
    raise ParameterError.invalid(
        what, "a Parquet or CSV path, an Ibis table, or a pandas, polars or pyarrow frame", type(data).__name__)


def table_backend(table: Any) -> Any | None:
    """The backend an Ibis table is bound to, or None for a table built only on in-memory data."""
    try:
        return table.get_backend()
    except IbisError:
        return None


def _check_same_backend(table: Any, con: Any, what: str) -> None:
    """Refuse a table that lives on another connection: moving it would mean pulling it through Python."""
    backend = table_backend(table)
    if backend is not None and backend is not con:
        raise ParameterError(
            f"{what} is a table on another {backend_name(backend)} connection than the engine "
            f"({backend_name(con)}); pass engine=None to run on the table's own connection, or read the data "
            "on the engine's connection")


def _read_path(path: str | Path, con: Any, what: str) -> Any:
    """Register a Parquet or CSV path (or glob, or Parquet directory) on ``con``; the engine reads it in place."""
    text = str(path)
    lowered = text.lower()
    local = "://" not in text and not any(char in text for char in "*?[")
    if local and not Path(text).exists():
        raise ParameterError(f"{what} file {text!r} does not exist")
    if lowered.endswith(_PARQUET_SUFFIXES) or (local and Path(text).is_dir()):
        # parts written at different times (the HTTP API's log) may add columns: read them by name, all of them
        merged = {"union_by_name": True} if con.name == "duckdb" else {"mergeSchema": "true"}
        return con.read_parquet(text, **merged)
    if lowered.endswith(_CSV_SUFFIXES):
        return con.read_csv(text)
    raise ParameterError.invalid(
        f"{what} path", f"a Parquet ({', '.join(_PARQUET_SUFFIXES)}) or CSV ({', '.join(_CSV_SUFFIXES)}) file",
        text)


def _is_frame(data: Any) -> bool:
    """True for pandas, polars and pyarrow tables (what :func:`ibis.memtable` accepts), without importing them."""
    module = type(data).__module__.split(".")[0]
    return module in {"pandas", "polars", "pyarrow"} and hasattr(data, "columns")


def _is_spark_session(engine: Any) -> bool:
    """True for a ``pyspark.sql.SparkSession``, without importing pyspark when it is not one."""
    return type(engine).__name__ == "SparkSession" and type(engine).__module__.startswith("pyspark")


def _local_spark_session() -> Any:
    """The active Spark session, or a new local one with a UTC session time zone."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ParameterError("engine 'spark' needs pyspark: pip install 'answerkey[spark]'") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    try:
        return (SparkSession.builder.master("local[*]").appName("answerkey")
                .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
    except Exception as exc:  # the JVM did not start (no Java, a wrong JAVA_HOME...): say so in one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"engine 'spark' could not start a local Spark session ({reason}); Spark needs Java "
                             "17 or later: put java on PATH or set JAVA_HOME") from exc
