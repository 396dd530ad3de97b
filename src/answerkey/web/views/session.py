"""Signing in with a token (the session cookie is HttpOnly, SameSite=Lax) and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from answerkey.project.access import Principal, authenticate
from answerkey.web.pages import render
from answerkey.web.security import SESSION_COOKIE, SESSION_SECONDS, require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a full URL) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> Response:
    """The only page shown without a session."""
    return render(request, "sign_in.html", next=_safe_next(next), failed=False)


@router.post("/sign-in")
def sign_in(request: Request, token: Annotated[str, Form(max_length=200)] = "",
            next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Check the token and start a session; the token itself is not kept in the cookie."""
    principal = authenticate(request.app.state.workspace, token.strip())
    if principal is None:
        return render(request, "sign_in.html", status=401, next=_safe_next(next), failed=True)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, request.app.state.sessions.cookie_for(principal), max_age=SESSION_SECONDS,
                        httponly=True, samesite="lax", secure=request.app.state.secure_cookies, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, who: Annotated[Principal, Depends(require("viewer"))],
             csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session (the form carries the CSRF token)."""
    request.app.state.sessions.check_csrf(request, csrf_token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
