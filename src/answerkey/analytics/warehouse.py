"""Executing queries on a warehouse read-only, with a timeout, and caching results per (SQL, database state).

A DuckDB file (``duckdb:///path.duckdb`` or a path) is opened read-only with external access off, so a query
can read neither local files nor the network. Any other SQLAlchemy URL runs each query in a transaction that
is rolled back (read-only with a statement timeout on PostgreSQL). Statements that write or run DDL are
refused before they reach the database.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from answerkey.analytics.compare import ResultTable
from answerkey.analytics.sql import refusal
from answerkey.errors import AnswerkeyError, ParameterError

__all__ = ["ExecutionError", "Warehouse", "open_warehouse", "shown_url"]


class ExecutionError(AnswerkeyError):
    """A query did not give a result: ``kind`` is ``error``, ``timeout`` or ``refused``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass
class Warehouse:
    """A read-only connection to the data that answers are judged on."""

    url: str
    dialect: str
    timeout_s: float = 30.0
    cache_size: int = 4096

    def __post_init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], ResultTable | ExecutionError] = OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._database: Any = None
        self.fingerprint = self._fingerprint()

    # -- public ---------------------------------------------------------------------------------------------

    def execute(self, sql: str) -> ResultTable:
        """The result of ``sql``; raises ``ExecutionError`` (refused, error or timeout). Cached."""
        key = (sql.strip(), self.fingerprint)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is None:
            cached = self._run(sql)
            with self._lock:
                self._cache[key] = cached
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        if isinstance(cached, ExecutionError):
            raise cached
        return cached

    def execute_fresh(self, sql: str) -> ResultTable:
        """Like ``execute``, but always run on the database (to see whether a result is stable)."""
        outcome = self._run(sql)
        if isinstance(outcome, ExecutionError):
            raise outcome
        return outcome

    def close_all(self) -> None:
        """Close the database (every thread's cursor with it)."""
        self.close()
        if self._database is not None:
            self._database.close()
            self._database = None

    def close(self) -> None:
        """Close this thread's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # -- internals ------------------------------------------------------------------------------------------

    def _run(self, sql: str) -> ResultTable | ExecutionError:
        why = refusal(sql, self.dialect)
        if why is not None:
            return ExecutionError("refused", why)
        try:
            if self.dialect == "duckdb":
                return self._run_duckdb(sql)
            return self._run_sqlalchemy(sql)
        except ExecutionError as failure:
            return failure

    def _duckdb(self) -> Any:
        """This thread's cursor on the one read-only database connection (DuckDB cursors are per thread)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            import duckdb

            with self._lock:
                if self._database is None:
                    self._database = duckdb.connect(self._duckdb_path(), read_only=True,
                                                    config={"enable_external_access": False})
                connection = self._database.cursor()
            self._local.connection = connection
        return connection

    def _duckdb_path(self) -> str:
        return self.url.removeprefix("duckdb:///").removeprefix("duckdb://")

    def _run_duckdb(self, sql: str) -> ResultTable:
        import duckdb

        connection = self._duckdb()
        timer = threading.Timer(self.timeout_s, connection.interrupt)
        started = time.monotonic()
        timer.start()
        try:
            cursor = connection.execute(sql)
            rows = cursor.fetchall()
            columns = [d[0] for d in cursor.description or []]
        except duckdb.InterruptException:
            raise ExecutionError("timeout", f"no result within {self.timeout_s:g} s") from None
        except duckdb.Error as error:
            if time.monotonic() - started >= self.timeout_s:
                raise ExecutionError("timeout", f"no result within {self.timeout_s:g} s") from None
            raise ExecutionError("error", _first_line(error)) from None
        finally:
            timer.cancel()
        return ResultTable(columns, rows)

    def _run_sqlalchemy(self, sql: str) -> ResultTable:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import DBAPIError, OperationalError

        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                transaction = connection.begin()
                try:
                    if self.dialect == "postgres":
                        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(self.timeout_s * 1000)}")
                    result = connection.execute(text(sql))
                    columns, rows = list(result.keys()), [tuple(r) for r in result.fetchall()]
                finally:
                    transaction.rollback()
        except OperationalError as error:
            message = _first_line(error.orig or error)
            if "statement timeout" in message or "canceling statement" in message:
                raise ExecutionError("timeout", f"no result within {self.timeout_s:g} s") from None
            raise ExecutionError("error", message) from None
        except DBAPIError as error:
            raise ExecutionError("error", _first_line(error.orig or error)) from None
        return ResultTable(columns, rows)

    def _fingerprint(self) -> str:
        """What identifies the database's state: a DuckDB file's size and modification time, else the URL."""
        if self.dialect == "duckdb":
            path = Path(self._duckdb_path())
            stat = path.stat()
            text = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        else:
            text = self.url
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def open_warehouse(url: str, timeout_s: float = 30.0) -> Warehouse:
    """A warehouse from ``duckdb:///path``, a ``.duckdb`` path, or a SQLAlchemy URL."""
    if "://" not in url:
        url = f"duckdb:///{url}"
    if url.startswith("duckdb:"):
        path = Path(url.removeprefix("duckdb:///").removeprefix("duckdb://"))
        if not path.is_file():
            raise ParameterError(f"--warehouse {url}: no DuckDB file at {path}")
        return Warehouse(url, "duckdb", timeout_s)
    name = url.split(":", 1)[0].split("+", 1)[0]
    dialect = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql"}.get(name, name)
    return Warehouse(url, dialect, timeout_s)


def shown_url(url: str) -> str:
    """A warehouse URL fit to show: its password hidden."""
    if "://" not in url or url.startswith("duckdb:"):
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0] + "://…"
