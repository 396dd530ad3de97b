"""Server-rendered pages: the templates, the context every page shares, and the one error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from answerkey.web.security import SESSION_COOKIE

__all__ = ["TEMPLATES", "error_page", "render"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the signed-in principal and the session's CSRF token available to the layout."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    sessions = request.app.state.sessions
    shared = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": sessions.csrf_token(cookie) if cookie else "",
        "workspace_name": request.app.state.workspace.config.name,
    }
    return TEMPLATES.TemplateResponse(request, template, {**shared, **context}, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The one error page of the UI: what went wrong, in a sentence, and a way back."""
    return render(request, "error.html", status=status, status_code=status, message=message)
