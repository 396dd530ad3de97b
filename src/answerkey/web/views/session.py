"""Signing in with a token (the session cookie is HttpOnly, SameSite=Lax; the form is CSRF-protected too) and
signing out, which ends the session in the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from answerkey.project.access import Principal, authenticate
from answerkey.web.pages import render
from answerkey.web.security import SESSION_COOKIE, SESSION_SECONDS, SIGN_IN_COOKIE, Sessions, require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a full URL) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _sign_in_form(request: Request, next: str | None, *, status: int = 200, failed: str | None = None) -> Response:
    """The sign-in page, with the form's CSRF token and the browser's sign-in cookie it is checked against."""
    sessions: Sessions = request.app.state.sessions
    nonce = sessions.sign_in_nonce(request)
    response = render(request, "sign_in.html", status=status, next=_safe_next(next), failed=failed,
                      sign_in_csrf=sessions.sign_in_csrf(nonce))
    response.set_cookie(SIGN_IN_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=request.app.state.secure_cookies, path="/sign-in")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> Response:
    """The only page shown without a session."""
    return _sign_in_form(request, next)


@router.post("/sign-in")
def sign_in(request: Request, token: Annotated[str, Form(max_length=200)] = "",
            next: Annotated[str, Form(max_length=2000)] = "/",
            sign_in_csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Check the form and the token, and open a session; the token itself is not kept in the cookie."""
    sessions: Sessions = request.app.state.sessions
    if not sessions.sign_in_allowed(request, sign_in_csrf):
        return _sign_in_form(request, next, status=403, failed="The sign-in form was not the one this site gave "
                             "this browser (or it expired); sign in again here.")
    principal = authenticate(request.app.state.workspace, token.strip())
    if principal is None:
        return _sign_in_form(request, next, status=401, failed="That token is not valid (unknown or revoked).")
    sessions.end(request)  # a browser has one session: the one it had ends
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, sessions.start(principal), max_age=SESSION_SECONDS,
                        httponly=True, samesite="lax", secure=request.app.state.secure_cookies, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, who: Annotated[Principal, Depends(require("viewer"))],
             csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session in the store, so a copy of the cookie no longer works (the form carries the CSRF token)."""
    sessions: Sessions = request.app.state.sessions
    sessions.check_csrf(request, csrf_token)
    sessions.end(request)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
