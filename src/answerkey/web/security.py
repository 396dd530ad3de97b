"""Who is asking: a bearer token (API clients) or a signed session cookie (the browser, after signing in with a
token), the role a route needs, and CSRF protection for writes that ride on the cookie."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import Request

from answerkey.project.access import ROLES, Principal, authenticate, principal_by_id
from answerkey.project.workspace import Workspace
from answerkey.web.envelope import ApiError

__all__ = ["CSRF_HEADER", "SESSION_COOKIE", "SESSION_SECONDS", "Sessions", "SignInRequiredError", "require"]

SESSION_COOKIE = "answerkey_session"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequiredError(Exception):
    """A page asked for without a session: the browser is sent to the sign-in page."""


class Sessions:
    """Signed session cookies and CSRF tokens, keyed by a secret kept in the workspace's store folder (0600)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.secret = _secret(workspace.root / ".answerkey" / "web-secret")

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def cookie_for(self, principal: Principal, now: float | None = None) -> str:
        """A session cookie value for ``principal``, valid for :data:`SESSION_SECONDS`."""
        body = f"{principal.token_id}.{int((now or time.time()) + SESSION_SECONDS)}.{secrets.token_hex(8)}"
        return f"{body}.{self._sign(body)}"

    def principal(self, cookie: str) -> Principal | None:
        """The principal of a valid, unexpired cookie whose token is still live."""
        body, _, signature = cookie.rpartition(".")
        if not body or not hmac.compare_digest(self._sign(body).encode(), signature.encode("utf-8", "replace")):
            return None
        token_id, expires, _nonce = ([*body.split("."), "", "", ""])[:3]
        if not token_id.isdigit() or not expires.isdigit() or int(expires) < time.time():
            return None
        return principal_by_id(self.workspace, int(token_id))

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token that belongs to a session cookie (forms carry it; scripts send it as a header)."""
        return self._sign("csrf." + cookie)[:40]

    def check_csrf(self, request: Request, sent: str | None) -> None:
        """Refuse a cookie-authenticated write whose CSRF token is missing or wrong."""
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if not sent or not hmac.compare_digest(self.csrf_token(cookie).encode(), sent.encode("utf-8", "replace")):
            raise ApiError(403, "missing or wrong CSRF token; reload the page and try again")


def _secret(path: Path) -> bytes:
    if path.is_file():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    try:
        os.write(handle, secrets.token_bytes(32))
    finally:
        os.close(handle)
    temporary.replace(path)
    return path.read_bytes()


def current_principal(request: Request) -> Principal:
    """The caller: ``Authorization: Bearer TOKEN`` first, else the session cookie (CSRF-checked on writes)."""
    workspace: Workspace = request.app.state.workspace
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "the Authorization header must be 'Bearer TOKEN'")
        principal = authenticate(workspace, token.strip())
        if principal is None:
            raise ApiError(401, "the token is not valid (unknown or revoked); `answerkey token create` makes one")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    sessions: Sessions = request.app.state.sessions
    principal = sessions.principal(cookie) if cookie else None
    if principal is None:
        if not request.url.path.startswith("/api"):
            raise SignInRequiredError()
        raise ApiError(401, "no token: send 'Authorization: Bearer TOKEN' (`answerkey token create NAME --role ROLE`)")
    if request.method in UNSAFE and request.url.path.startswith("/api"):
        sessions.check_csrf(request, request.headers.get(CSRF_HEADER))
    return principal


def require(role: str) -> Callable[[Request], Principal]:
    """A dependency: the caller, who must hold ``role`` (or a stronger one)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        request.state.principal = principal  # the 403 page still shows who is signed in
        if not principal.can(role):
            raise ApiError(403, f"{principal.name!r} has the {principal.role} role; this needs {role} or above")
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency
