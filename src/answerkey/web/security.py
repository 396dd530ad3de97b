"""Who is asking: a bearer token (API clients) or a session cookie (the browser, after signing in with a token;
the session is kept in the store, so signing out ends it), the role a route needs, and CSRF protection for the
writes that ride on the cookie and for the sign-in form itself."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import Request

from answerkey.project.access import ROLES, Principal, authenticate
from answerkey.project.web_sessions import end_session, open_session, session_principal
from answerkey.project.workspace import Workspace
from answerkey.web.envelope import ApiError
from answerkey.web.writer import WritePath

__all__ = ["CSRF_HEADER", "SESSION_COOKIE", "SESSION_SECONDS", "SIGN_IN_COOKIE", "Sessions", "SignInRequiredError",
           "require"]

SESSION_COOKIE = "answerkey_session"
SIGN_IN_COOKIE = "answerkey_sign_in"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequiredError(Exception):
    """A page asked for without a session: the browser is sent to the sign-in page."""


class Sessions:
    """Session cookies and CSRF tokens: a session lives in the store, its cookie is the session key signed with a
    secret kept in the workspace's store folder (0600), so a forged cookie is refused without a query."""

    def __init__(self, workspace: Workspace, writer: WritePath) -> None:
        self.workspace = workspace
        self.writer = writer
        self.secret = _secret(workspace.root / ".answerkey" / "web-secret")

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def _verified(self, signed: str) -> str | None:
        body, _, signature = signed.rpartition(".")
        return body if body and _matches(self._sign(body), signature) else None

    def start(self, principal: Principal, now: datetime | None = None) -> str:
        """Open a session for ``principal`` for :data:`SESSION_SECONDS` from ``now``; the cookie that carries it."""
        with self.writer.transaction() as connection:
            key = open_session(connection, principal.token_id, SESSION_SECONDS, now)
        return f"{key}.{self._sign(key)}"

    def principal(self, cookie: str) -> Principal | None:
        """The principal of an open, unexpired session whose token is still live."""
        key = self._verified(cookie)
        return session_principal(self.workspace, key) if key else None

    def end(self, request: Request) -> None:
        """End the session of the request's cookie in the store: the cookie, copied or not, no longer signs anyone
        in."""
        key = self._verified(request.cookies.get(SESSION_COOKIE, ""))
        if key:
            with self.writer.transaction() as connection:
                end_session(connection, key)

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token that belongs to a session cookie (forms carry it; scripts send it as a header)."""
        return self._sign("csrf." + cookie)[:40]

    def check_csrf(self, request: Request, sent: str | None) -> None:
        """Refuse a cookie-authenticated write whose CSRF token is missing or wrong."""
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if not sent or not _matches(self.csrf_token(cookie), sent):
            raise ApiError(403, "missing or wrong CSRF token; reload the page and try again")

    def sign_in_nonce(self, request: Request) -> str:
        """The sign-in form's nonce: the browser's own (from its sign-in cookie) or a new one, so two open sign-in
        tabs both work."""
        nonce = request.cookies.get(SIGN_IN_COOKIE, "")
        return nonce if 20 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum() \
            else secrets.token_urlsafe(24)

    def sign_in_csrf(self, nonce: str) -> str:
        """The token the sign-in form carries for ``nonce``: a cross-site page cannot sign a browser in with the
        attacker's token (login CSRF), since it has neither the SameSite=Strict cookie nor the token."""
        return self._sign("sign-in." + nonce)[:40]

    def sign_in_allowed(self, request: Request, sent: str) -> bool:
        """Whether a sign-in post carries the token that matches the browser's sign-in cookie."""
        nonce = request.cookies.get(SIGN_IN_COOKIE, "")
        return bool(nonce and sent) and _matches(self.sign_in_csrf(nonce), sent)


def _matches(expected: str, sent: str) -> bool:
    """A constant-time comparison of what the server expects with what the client sent (any text)."""
    return hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace"))


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
