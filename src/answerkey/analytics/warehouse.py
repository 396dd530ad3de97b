"""Executing queries on a warehouse read-only, with a timeout, and caching results per (SQL, database state).

Every query is checked first (:func:`answerkey.analytics.sql.refusal`: one statement, read-only, no function or
relation the sandbox policy denies). A DuckDB file (``duckdb:///path.duckdb`` or a path) is queried in a sandbox
worker process (:mod:`answerkey.analytics.sandbox`): read-only, external access off, configuration locked,
memory and threads capped, a connection per query, killed when a query will not stop. A PostgreSQL URL gets a
connection of its own per query, closed after it, in a read-only transaction with a statement timeout that is
rolled back, and the query is sent through the extended protocol, which executes exactly one statement. Any
other SQLAlchemy URL gets a fresh connection and a rolled-back transaction.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from answerkey.analytics.compare import ResultTable
from answerkey.analytics.sandbox import SandboxLimits, pool
from answerkey.analytics.sql import refusal, unparseable
from answerkey.errors import AnswerkeyError, ParameterError
from answerkey.excerpt import first_line

__all__ = ["ExecutionError", "Warehouse", "open_warehouse", "psycopg_conninfo", "shown_url"]


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
    limits: SandboxLimits = field(default_factory=SandboxLimits)

    def __post_init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], ResultTable | ExecutionError] = OrderedDict()
        self._lock = threading.Lock()
        self.fingerprint = self._fingerprint()
        if self.dialect == "duckdb":
            weakref.finalize(self, _release, self._duckdb_path())

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

    def duckdb_file(self) -> str:
        """The file behind a DuckDB warehouse (what test suites are fuzzed from)."""
        if self.dialect != "duckdb":
            raise ParameterError(f"{shown_url(self.url)} is not a DuckDB file")
        return self._duckdb_path()

    def close_all(self) -> None:
        """Let go of the database: the sandbox workers close the DuckDB file, so it may be written again."""
        if self.dialect == "duckdb":
            _release(self._duckdb_path())

    # -- internals ------------------------------------------------------------------------------------------

    def _run(self, sql: str) -> ResultTable | ExecutionError:
        """One query's result or failure; nothing it does raises anything else. Nothing the checks stop is
        executed: text no parser reads is an ``error`` (with the parser's message), the rest ``refused``."""
        try:
            why = refusal(sql, self.dialect)
            if why is not None:
                return ExecutionError("error" if why == unparseable(sql, self.dialect) else "refused", why)
            if self.dialect == "duckdb":
                return self._run_duckdb(sql)
            if self.dialect == "postgres":
                return self._run_postgres(sql)
            return self._run_sqlalchemy(sql)
        except ExecutionError as failure:
            return failure
        except RecursionError:
            return ExecutionError("error", "not parseable SQL: nested too deeply")
        except Exception as error:  # any other failure of one query is that query's error, never the run's
            return ExecutionError("error", f"{type(error).__name__}: {first_line(error)}")

    def _duckdb_path(self) -> str:
        return self.url.removeprefix("duckdb:///").removeprefix("duckdb://")

    def _run_duckdb(self, sql: str) -> ResultTable:
        reply = pool().run(self._duckdb_path(), sql, self.timeout_s, self.limits)
        if reply[0] == "ok":
            return ResultTable(reply[1], reply[2])
        raise ExecutionError(reply[1], reply[2])

    def _run_postgres(self, sql: str) -> ResultTable:
        """A connection of its own (so a session-level lock or setting dies with it), a read-only transaction,
        and the extended protocol (a statement sent that way is one statement; text with two is an error), with
        the rows streamed so that no more than ``max_rows`` are ever held."""
        import psycopg

        info = psycopg_conninfo(self.url)
        timeout_ms = max(1, int(self.timeout_s * 1000))
        try:
            with psycopg.connect(info, connect_timeout=max(2, int(self.timeout_s)), autocommit=False) as connection:
                connection.read_only = True
                for setting in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
                    connection.execute(f"SET {setting} = {timeout_ms * (2 if setting.startswith('idle') else 1)}")
                with connection.cursor() as cursor:
                    try:
                        rows = []
                        for row in cursor.stream(sql.encode()):  # rows as they come: never all in memory
                            rows.append(tuple(row))
                            if len(rows) > self.limits.max_rows:
                                break
                        columns = [d.name for d in cursor.description or []]
                    finally:
                        connection.rollback()
        except psycopg.errors.QueryCanceled:
            raise ExecutionError("timeout", f"no result within {self.timeout_s:g} s") from None
        except psycopg.Error as error:
            raise ExecutionError("error", first_line(error)) from None
        if len(rows) > self.limits.max_rows:
            raise ExecutionError("error", f"more than {self.limits.max_rows:,} rows; results are capped at that")
        return ResultTable(columns, rows)

    def _run_sqlalchemy(self, sql: str) -> ResultTable:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import DBAPIError, OperationalError
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                self._limit_time(connection)
                transaction = connection.begin()
                try:
                    result = connection.exec_driver_sql(sql)
                    columns = list(result.keys())
                    rows = [tuple(r) for r in result.fetchmany(self.limits.max_rows + 1)]
                finally:
                    transaction.rollback()
        except OperationalError as error:
            message = first_line(error.orig or error)
            if any(word in message for word in ("statement timeout", "canceling statement", "interrupted",
                                                "maximum statement execution time")):
                raise ExecutionError("timeout", f"no result within {self.timeout_s:g} s") from None
            raise ExecutionError("error", message) from None
        except DBAPIError as error:
            raise ExecutionError("error", first_line(error.orig or error)) from None
        finally:
            engine.dispose()
        if len(rows) > self.limits.max_rows:
            raise ExecutionError("error", f"more than {self.limits.max_rows:,} rows; results are capped at that")
        return ResultTable(columns, rows)

    def _limit_time(self, connection: Any) -> None:
        """Stop a query at the time limit on the other SQLAlchemy dialects: SQLite through a progress handler
        that interrupts past the deadline, MySQL through ``max_execution_time``."""
        if self.dialect == "sqlite":
            deadline = time.monotonic() + self.timeout_s
            raw = connection.connection.driver_connection
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        elif self.dialect == "mysql":
            connection.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {max(1, int(self.timeout_s * 1000))}")

    def _fingerprint(self) -> str:
        """What identifies the database's state: a DuckDB file's size and modification time, else the URL."""
        if self.dialect == "duckdb":
            path = Path(self._duckdb_path())
            stat = path.stat()
            text = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        else:
            text = self.url
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _release(path: str) -> None:
    pool().release(path)



def psycopg_conninfo(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (``postgresql+psycopg://...``) as libpq takes it, password included."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def open_warehouse(url: str, timeout_s: float = 30.0, limits: SandboxLimits | None = None) -> Warehouse:
    """A warehouse from ``duckdb:///path``, a ``.duckdb`` path, or a SQLAlchemy URL."""
    if "://" not in url:
        url = f"duckdb:///{url}"
    if url.startswith("duckdb:"):
        path = Path(url.removeprefix("duckdb:///").removeprefix("duckdb://"))
        if not path.is_file():
            raise ParameterError(f"--warehouse {url}: no DuckDB file at {path}")
        return Warehouse(url, "duckdb", timeout_s, limits=limits or SandboxLimits())
    name = url.split(":", 1)[0].split("+", 1)[0]
    dialect = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql"}.get(name, name)
    return Warehouse(url, dialect, timeout_s, limits=limits or SandboxLimits())


def shown_url(url: str) -> str:
    """A warehouse URL fit to show: its password hidden."""
    if "://" not in url or url.startswith("duckdb:"):
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0] + "://…"
