"""API tokens and roles: who may read, annotate, adjudicate or administer a workspace over HTTP.

A token is shown once, when it is created; the store keeps only its sha256 (tokens are 256 random bits, so a
plain hash is enough and lookups stay one indexed read). Roles are ordered: each has the rights of those before.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from answerkey.errors import NotFoundError, ParameterError
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = [
    "ROLES",
    "Principal",
    "TokenInfo",
    "authenticate",
    "create_token",
    "has_role",
    "insert_token",
    "list_tokens",
    "revoke_token_rows",
    "revoke_tokens",
    "token_hash",
]

ROLES = ("viewer", "annotator", "reviewer", "admin")
"""Roles, weakest first: a viewer reads; an annotator also writes their own annotations; a reviewer also
adjudicates; an admin also manages schema, releases and tokens."""

TOKEN_PREFIX = "ak_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the token's name (the annotator or reviewer id its writes carry) and role."""

    name: str
    role: str
    token_id: int

    def can(self, role: str) -> bool:
        """True when this principal's role includes ``role``'s rights."""
        return has_role(self.role, role)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    token_id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"token_id": self.token_id, "name": self.name, "role": self.role,
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def has_role(role: str, needed: str) -> bool:
    """True when ``role`` includes the rights of ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(workspace: Workspace, name: str, role: str) -> tuple[TokenInfo, str]:
    """A new token for ``name`` with ``role``; the token text is returned here and never again."""
    with workspace.transaction() as connection:
        return insert_token(connection, name, role)


def authenticate(workspace: Workspace, token: str) -> Principal | None:
    """The principal a token stands for; None for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    c = t.api_tokens.c
    with workspace.reading() as connection:
        row = connection.execute(select(c.token_id, c.name, c.role).where(
            c.token_hash == token_hash(token), c.revoked_at.is_(None))).first()
    return Principal(row.name, row.role, int(row.token_id)) if row else None


def list_tokens(workspace: Workspace) -> list[TokenInfo]:
    """Every token ever created, oldest first (revoked ones too, with when)."""
    c = t.api_tokens.c
    with workspace.reading() as connection:
        rows = connection.execute(select(c.token_id, c.name, c.role, c.created_at, c.revoked_at)
                                  .order_by(c.token_id)).all()
    return [TokenInfo(int(r.token_id), r.name, r.role, r.created_at, r.revoked_at) for r in rows]


def revoke_tokens(workspace: Workspace, name: str) -> int:
    """Revoke every live token of ``name``; how many were revoked. Unknown names are an error."""
    with workspace.transaction() as connection:
        return revoke_token_rows(connection, name)


def insert_token(connection: Connection, name: str, role: str) -> tuple[TokenInfo, str]:
    """A new token for ``name`` with ``role``; the token text is returned here and never again."""
    name = name.strip()
    if not name or len(name) > 255:
        raise ParameterError.invalid("name", "a non-empty name of at most 255 characters", name)
    if role not in ROLES:
        raise ParameterError.invalid("role", f"one of {', '.join(ROLES)}", role)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created_at = writes.utcnow()
    key = connection.execute(t.api_tokens.insert().values(
        name=name, role=role, token_hash=token_hash(token), created_at=created_at)).inserted_primary_key
    return TokenInfo(int(key[0]) if key else 0, name, role, created_at, None), token


def revoke_token_rows(connection: Connection, name: str) -> int:
    """Revoke every live token of ``name``; how many were revoked. A name that never had a token is an error."""
    c = t.api_tokens.c
    if connection.execute(select(c.token_id).where(c.name == name).limit(1)).first() is None:
        raise NotFoundError(f"no token for {name!r}; `answerkey token list` shows who has one")
    result = connection.execute(update(t.api_tokens).where(c.name == name, c.revoked_at.is_(None))
                                .values(revoked_at=writes.utcnow()))
    return int(result.rowcount)
