"""Signed-in browser sessions, kept in the store: opened with a token, ended by signing out, by expiring or by
revoking the token. The cookie carries a random session key; the store keeps only its sha256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from answerkey.project.access import Principal
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = ["end_session", "open_session", "session_principal"]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def open_session(connection: Connection, token_id: int, seconds: int, now: datetime | None = None) -> str:
    """Open a session for the token ``token_id`` lasting ``seconds``; the new session key (shown once). Sessions
    that have expired are deleted then, so the table holds at most one session lifetime of sign-ins."""
    key = secrets.token_urlsafe(32)
    started = now or writes.utcnow()
    connection.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at < started))  # bounded table
    connection.execute(t.web_sessions.insert().values(
        session_hash=_hash(key), token_id=token_id, created_at=started,
        expires_at=started + timedelta(seconds=seconds)))
    return key


def session_principal(workspace: Workspace, key: str, now: datetime | None = None) -> Principal | None:
    """Who a session key stands for, while the session is open, unexpired and its token unrevoked."""
    s, k = t.web_sessions.c, t.api_tokens.c
    with workspace.reading() as connection:
        row = connection.execute(
            select(k.token_id, k.name, k.role).select_from(t.web_sessions.join(t.api_tokens))
            .where(s.session_hash == _hash(key), s.ended_at.is_(None), s.expires_at > (now or writes.utcnow()),
                   k.revoked_at.is_(None))).first()
    return Principal(row.name, row.role, int(row.token_id)) if row else None


def end_session(connection: Connection, key: str, now: datetime | None = None) -> bool:
    """End an open session (signing out); False when it was not open."""
    s = t.web_sessions.c
    result = connection.execute(update(t.web_sessions).where(s.session_hash == _hash(key), s.ended_at.is_(None))
                                .values(ended_at=now or writes.utcnow()))
    return bool(result.rowcount)
