"""The one write path of the web app: a write runs in one transaction with its audit entry and its idempotency
record, under one lock per process (SQLite takes one writer at a time; the lock queues them here rather than
inside SQLite), and ``BEGIN IMMEDIATE`` on SQLite so a read-then-write never deadlocks with another process."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from answerkey.errors import ParameterError
from answerkey.jsonable import plain
from answerkey.project.access import Principal
from answerkey.project.audit import record_audit
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = ["Outcome", "WritePath", "request_hash"]

MAX_KEY = 255


@dataclass
class Outcome:
    """What a write returns: the response status and body, and what the audit log keeps of it."""

    status: int
    body: dict[str, Any]
    audit: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False


def request_hash(method: str, path: str, body: Any) -> str:
    """A fingerprint of a request, so a reused idempotency key with another request is caught."""
    text = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class WritePath:
    """Serialised, audited, idempotent writes to one workspace's store."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.sqlite = workspace.engine.dialect.name == "sqlite"
        self._lock: Any = threading.Lock() if self.sqlite else nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction (the lock held, and on SQLite the write lock taken at the start)."""
        with self._lock, self.workspace.engine.begin() as connection:
            if self.sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    def write(
        self, principal: Principal, action: str, target: str | None, run: Callable[[Connection], Outcome],
        *, key: str | None = None, fingerprint: str | None = None,
    ) -> Outcome:
        """Run ``run`` and audit it in one transaction; with ``key``, a repeat of the request replays the first
        response instead of writing again (and a different request under the same key is refused)."""
        if key is not None and not 0 < len(key) <= MAX_KEY:
            raise ParameterError.invalid("Idempotency-Key", f"1 to {MAX_KEY} characters", key)
        for attempt in (1, 2):
            try:
                with self.transaction() as connection:
                    if key is not None:
                        earlier = _replay(connection, principal.name, key, fingerprint or "")
                        if earlier is not None:
                            return earlier
                    outcome = run(connection)
                    record_audit(connection, principal.name, principal.role, action, target, plain(outcome.audit))
                    if key is not None:
                        connection.execute(t.idempotency_keys.insert().values(
                            actor=principal.name, key=key, request_hash=fingerprint or "", status=outcome.status,
                            response=plain(outcome.body), created_at=writes.utcnow()))
                    return outcome
            except IntegrityError:
                if key is None or attempt == 2:  # a concurrent twin under the same key won: replay it
                    raise
        raise AssertionError("unreachable")


def _replay(connection: Connection, actor: str, key: str, fingerprint: str) -> Outcome | None:
    c = t.idempotency_keys.c
    row = connection.execute(select(c.request_hash, c.status, c.response)
                             .where(c.actor == actor, c.key == key)).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise ParameterError(f"Idempotency-Key {key!r} was used before for a different request; use a new key")
    return Outcome(int(row.status), dict(row.response), replayed=True)
