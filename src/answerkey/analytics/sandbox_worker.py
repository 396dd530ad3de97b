"""The sandbox worker: a child process that runs agent SQL on DuckDB files, one query at a time.

Run as ``python .../answerkey/analytics/sandbox_worker.py`` (by path, so the package and its heavy imports stay
unloaded and a worker starts in a fraction of a second); it reads requests from stdin and writes replies to
stdout, each a 4-byte big-endian length and a pickle. Every database is opened read-only, with external access
off, the configuration locked and the memory, threads and spill space capped; every query gets a connection
of its own that is closed after it, so temporary views, variables and prepared statements die with it. Before a
query runs, DuckDB's own statement splitter must find exactly one SELECT and DuckDB's own parse must pass the
sandbox policy. A query still running at its time limit is interrupted; a query that ignores the interrupt, or
crashes the engine, takes this process with it, and the parent starts another.
"""

from __future__ import annotations

import os
import pickle
import resource
import struct
import sys
import tempfile
import threading
from collections import OrderedDict
from typing import Any, BinaryIO

if __package__:
    from answerkey.analytics.sandbox_rules import forbidden_in_duckdb_ast
else:  # run by path: the rules module beside this file, without the package
    from sandbox_rules import forbidden_in_duckdb_ast  # type: ignore[import-not-found,no-redef]

__all__ = ["main", "read_message", "write_message"]

OPEN_DATABASES = 8
"""Databases a worker keeps open between queries (opening one costs tens of milliseconds)."""


def read_message(stream: BinaryIO) -> Any:
    """One length-prefixed pickle from ``stream``; EOFError when it is closed."""
    header = stream.read(4)
    if len(header) < 4:
        raise EOFError
    (size,) = struct.unpack(">I", header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError
    return pickle.loads(payload)


def write_message(stream: BinaryIO, message: Any) -> None:
    """``message`` as one length-prefixed pickle."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">I", len(payload)) + payload)
    stream.flush()


class _Databases:
    """The read-only databases this worker has open, newest use last."""

    def __init__(self, spill: str) -> None:
        self._open: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._spill = spill

    def get(self, path: str, settings: dict[str, Any]) -> Any:
        import duckdb

        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns, tuple(sorted(settings.items())))
        database = self._open.get(key)
        if database is None:
            self.release(path)
            config = {"enable_external_access": False, "autoload_known_extensions": False,
                      "autoinstall_known_extensions": False, "temp_directory": self._spill,
                      "memory_limit": settings["memory_limit"], "threads": settings["threads"],
                      "max_temp_directory_size": settings["max_temp_directory_size"],
                      "lock_configuration": True}
            database = duckdb.connect(path, read_only=True, config=config)
            self._open[key] = database
            while len(self._open) > OPEN_DATABASES:
                self._open.popitem(last=False)[1].close()
        self._open.move_to_end(key)
        return database

    def release(self, path: str) -> None:
        for key in [k for k in self._open if k[0] == path]:
            self._open.pop(key).close()


def _refusal(connection: Any, sql: str) -> str | None:
    """Why DuckDB itself says ``sql`` is not one read-only query the policy allows, or None."""
    import duckdb

    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        return f"not parseable SQL: {_first_line(error)}"
    if len(statements) != 1:
        return f"{len(statements)} statements; one query is expected"
    if statements[0].type != duckdb.StatementType.SELECT:
        return f"{statements[0].type.name} statement: answers may only read"
    serialized = connection.execute("SELECT json_serialize_sql($1::VARCHAR)", [sql]).fetchone()[0]
    return forbidden_in_duckdb_ast(serialized)


def _first_line(error: object) -> str:
    """``answerkey.excerpt.first_line``, written out: this process does not load the package."""
    text = str(error).strip()
    return text.splitlines()[0][:500] if text else type(error).__name__


_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4, "kib": 1024, "mib": 1024**2,
          "gib": 1024**3, "tib": 1024**4}


def size_in_bytes(size: str) -> int:
    """``"1GB"``, ``"512 MiB"``... as bytes (DuckDB's units: KB, MB, GB are powers of 1000).

    >>> size_in_bytes("1GB"), size_in_bytes("512 MiB")
    (1000000000, 536870912)
    """
    text = size.strip().lower()
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz ")
    return int(float(digits) * _UNITS[text[len(digits):].strip()])


def _address_space() -> int:
    """This process's virtual memory size now, in bytes (0 where /proc cannot tell)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cap_address_space(memory_limit: str) -> None:
    """Let this query grow the process's address space by at most twice its memory limit (1 GB at least):
    DuckDB's ``memory_limit`` does not count every allocation (a 2 GB string from ``repeat`` passes it), this
    cap does. What the open databases already hold is not counted against the query."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    now = _address_space()
    if not now:
        return
    cap = now + max(2 * size_in_bytes(memory_limit), 1000**3)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def run_query(databases: _Databases, request: dict[str, Any]) -> tuple[Any, ...]:
    """``("ok", columns, rows)`` or ``("error", kind, reason)`` for one query request."""
    import duckdb

    database = databases.get(request["path"], request["settings"])
    connection = database.cursor()
    _cap_address_space(request["settings"]["memory_limit"])
    try:
        why = _refusal(connection, request["sql"])
        if why is not None:
            return ("error", "refused", why)
        timer = threading.Timer(request["timeout_s"], connection.interrupt)
        timer.start()
        try:
            cursor = connection.execute(request["sql"])
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchmany(request["max_rows"] + 1)
        except duckdb.InterruptException:
            return ("error", "timeout", f"no result within {request['timeout_s']:g} s")
        except duckdb.Error as error:
            if not timer.is_alive():
                return ("error", "timeout", f"no result within {request['timeout_s']:g} s")
            return ("error", "error", _first_line(error))
        finally:
            timer.cancel()
        if len(rows) > request["max_rows"]:
            return ("error", "error", f"more than {request['max_rows']:,} rows; results are capped at that")
        return ("ok", columns, rows)
    finally:
        connection.close()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))  # the cap is the query's, not the next open's


def main() -> None:
    """Serve requests until stdin closes."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by a library may corrupt the reply stream
    with tempfile.TemporaryDirectory(prefix="answerkey-sandbox-") as spill:
        databases = _Databases(spill)
        while True:
            try:
                request = read_message(requests)
            except EOFError:
                return
            try:
                if request["op"] == "ping":
                    import duckdb  # noqa: F401 - loaded before the first query's clock starts

                    reply: tuple[Any, ...] = ("ok",)
                elif request["op"] == "release":
                    databases.release(request["path"])
                    reply = ("ok",)
                elif request["op"] == "batch":
                    reply = ("ok", [run_query(databases, {**request, "sql": sql}) for sql in request["sqls"]])
                else:
                    reply = run_query(databases, request)
            except (Exception, MemoryError) as error:  # any failure of one request is that request's answer
                reply = ("error", "error", _first_line(error))
            try:
                write_message(replies, reply)
            except (pickle.PicklingError, TypeError, AttributeError) as error:
                write_message(replies, ("error", "error", f"a result value cannot be returned: {error}"))


if __name__ == "__main__":
    main()
