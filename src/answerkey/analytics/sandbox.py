"""Agent SQL on DuckDB runs in sandbox worker processes, never in the process that judges it.

A worker (:mod:`answerkey.analytics.sandbox_worker`) opens the warehouse read-only with its configuration locked
and memory, threads and spill space capped, gives each query a connection of its own, and refuses any query that
DuckDB's own splitter and parser do not read as one allowed SELECT. The parent waits for a reply up to the time
limit plus a grace period; a worker that does not answer by then (a query that ignores DuckDB's interrupt) or
that dies (a query that crashed the engine) is killed and replaced, and the query gets its verdict. So no answer
can stop the server, exhaust its memory, or leave state behind for the next answer.
"""

from __future__ import annotations

import atexit
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from answerkey.analytics.sandbox_worker import read_message, write_message
from answerkey.config import EvalSettings
from answerkey.errors import AnswerkeyError

__all__ = ["SandboxError", "SandboxLimits", "SandboxPool", "pool"]


class SandboxError(AnswerkeyError, RuntimeError):
    """The sandbox could not run a query at all (its worker would not start)."""


_LATE, _DIED = "late", "died"
"""What a worker's reply is when none came in time, or the worker died first."""
_PASSED_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "SYSTEMROOT", "OPENBLAS_CORETYPE")
STARTUP_S = 60.0
"""How long a new worker may take to start (import DuckDB) before its first query."""
GRACE_S = 2.0
"""How long past its time limit a query may take to stop after DuckDB's interrupt before its worker is killed."""


@dataclass(frozen=True)
class SandboxLimits:
    """What one query may use: the ``[eval]`` settings of ``answerkey.toml``."""

    memory_limit: str = "1GB"
    threads: int = 2
    max_temp_directory_size: str = "1GB"
    max_rows: int = 200_000

    @classmethod
    def of(cls, settings: EvalSettings) -> SandboxLimits:
        """The limits a workspace's ``[eval]`` section sets."""
        return cls(settings.memory_limit, settings.threads, settings.max_temp_directory_size, settings.max_rows)

    def engine_settings(self) -> dict[str, Any]:
        """The DuckDB settings a worker opens the database with."""
        settings = asdict(self)
        settings.pop("max_rows")
        return settings


class _Worker:
    """One child process and its pipes."""

    def __init__(self) -> None:
        # Only what Python needs: no credentials or settings of the server reach the engine's process.
        env = {name: os.environ[name] for name in _PASSED_ENVIRONMENT if name in os.environ}
        self.home = tempfile.mkdtemp(prefix="answerkey-sandbox-home-")
        env |= {"PYTHONUNBUFFERED": "1", "HOME": self.home, "TMPDIR": self.home}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("sandbox_worker.py"))], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)
        self.paths: set[str] = set()

    def ask(self, request: dict[str, Any], deadline_s: float) -> tuple[Any, ...]:
        """The worker's reply; ``(_LATE,)`` when it did not reply within ``deadline_s``, ``(_DIED,)`` when it
        died first."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            write_message(self.process.stdin, request)  # type: ignore[arg-type]
            ready, _, _ = select.select([self.process.stdout], [], [], deadline_s)
            if not ready:
                return (_LATE,)
            reply: tuple[Any, ...] = read_message(self.process.stdout)  # type: ignore[arg-type]
            return reply
        except (EOFError, OSError, ValueError):
            return (_DIED,)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def died_how(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "did not stop"
        return f"exit status {code}" if code >= 0 else f"signal {-code}"


class SandboxPool:
    """Up to ``size`` workers, shared by every warehouse of this process; a query waits for an idle one."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._releasing: set[str] = set()

    def run(self, path: str, sql: str, timeout_s: float, limits: SandboxLimits) -> tuple[Any, ...]:
        """``("ok", columns, rows)`` or ``("error", kind, reason)`` for ``sql`` on the DuckDB file at ``path``."""
        path = os.path.realpath(path)
        request = {"op": "query", "path": path, "sql": sql, "timeout_s": timeout_s, "max_rows": limits.max_rows,
                   "settings": limits.engine_settings()}
        worker = self._take(path, deadline=time.monotonic() + STARTUP_S + timeout_s)
        worker.paths.add(path)  # before the query: a release asked for meanwhile must find it
        try:
            reply = worker.ask(request, timeout_s + GRACE_S)
        except BaseException:  # a reply too large to read, an interrupt: this worker's state is unknown
            self._discard(worker)
            raise
        if reply[0] == _LATE:
            self._discard(worker)
            return ("error", "timeout", f"no result within {timeout_s:g} s (the query ignored the interrupt "
                                        "and its sandbox was stopped)")
        if reply[0] == _DIED:
            how = worker.died_how()
            self._discard(worker)
            return ("error", "error", f"the query crashed its sandbox ({how})")
        self._give_back(worker)
        return reply

    def run_batch(self, path: str, sqls: list[str], timeout_s: float, limits: SandboxLimits) -> list[tuple[Any, ...]]:
        """``run`` for several queries on one database in one round trip (each with its own time limit): what
        building a test suite needs, hundreds of small queries. When the batch as a whole does not answer in
        time, or its worker dies, every query of it gets that failure."""
        if not sqls:
            return []
        path = os.path.realpath(path)
        request = {"op": "batch", "path": path, "sqls": sqls, "timeout_s": timeout_s, "max_rows": limits.max_rows,
                   "settings": limits.engine_settings()}
        worker = self._take(path, deadline=time.monotonic() + STARTUP_S + timeout_s)
        worker.paths.add(path)
        try:
            reply = worker.ask(request, timeout_s * len(sqls) + GRACE_S)
        except BaseException:
            self._discard(worker)
            raise
        if reply[0] in (_LATE, _DIED):
            how = "did not answer in time" if reply[0] == _LATE else f"crashed ({worker.died_how()})"
            self._discard(worker)
            return [("error", "timeout" if reply[0] == _LATE else "error", f"the batch's sandbox {how}")] * len(sqls)
        self._give_back(worker)
        if reply[0] != "ok":
            return [reply] * len(sqls)
        return list(reply[1])

    def release(self, path: str) -> None:
        """Every worker closes the database at ``path`` (so another process may write to the file): the idle
        ones now, a busy one as soon as its query ends."""
        path = os.path.realpath(path)
        with self._lock:
            self._releasing.add(path)
        for worker in self._drain():
            self._give_back(worker)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = list(self._all), set()
            self._started = 0
        for worker in workers:
            worker.kill()
        self._idle = queue.LifoQueue()

    # -- internals ------------------------------------------------------------------------------------------

    def _give_back(self, worker: _Worker) -> None:
        """Return ``worker`` to the idle queue, after it closed the databases that are being released."""
        with self._lock:
            closing = worker.paths & self._releasing
        for path in closing:
            if worker.ask({"op": "release", "path": path}, 30.0)[0] in (_LATE, _DIED):
                self._discard(worker)
                return
            worker.paths.discard(path)
        self._idle.put(worker)

    def _take(self, path: str, deadline: float) -> _Worker:
        """An idle worker (one that has ``path`` open if there is one), a new one, or the next to be idle."""
        with self._lock:
            self._releasing.discard(path)  # used again: a release asked for before this query does not apply
        while True:
            if time.monotonic() > deadline:
                raise SandboxError("no sandbox worker became free in time")
            held = self._drain()
            chosen = next((w for w in held if path in w.paths), held[-1] if held else None)
            for worker in held:
                if worker is not chosen:
                    self._idle.put(worker)
            if chosen is not None:
                return chosen
            with self._lock:
                start = self._started < self.size
                if start:
                    self._started += 1
            if start:  # a new worker is ready (its imports done) before any query's clock starts
                try:
                    worker = _Worker()
                except BaseException:
                    with self._lock:
                        self._started -= 1
                    raise
                with self._lock:
                    self._all.add(worker)
                if worker.ask({"op": "ping"}, STARTUP_S)[0] != "ok":
                    self._discard(worker)
                    raise SandboxError(f"a sandbox worker did not start within {STARTUP_S:g} s")
                return worker
            try:  # all busy: wait for one, and look again (a worker that was killed frees a place instead)
                worker = self._idle.get(timeout=0.2)
            except queue.Empty:
                continue
            self._idle.put(worker)

    def _drain(self) -> list[_Worker]:
        """Every idle worker, taken out of the queue (the caller puts back what it does not keep)."""
        held = []
        while True:
            try:
                held.append(self._idle.get_nowait())
            except queue.Empty:
                return held

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.discard(worker)
                self._started -= 1


_POOL: SandboxPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> SandboxPool:
    """This process's sandbox pool (started on first use, stopped at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = SandboxPool(size=max(2, min(4, os.cpu_count() or 2)))
            atexit.register(_POOL.close)
        return _POOL
