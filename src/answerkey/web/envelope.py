"""The one error shape of the HTTP API, ``{"ok": false, "error", "errors", "status"}``, and the translator from
answerkey's errors (and the framework's) into it. Pages get the same message on one error page instead."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from answerkey.errors import (
    AnswerkeyError,
    ConflictError,
    ImportValidationError,
    NotFoundError,
    StoreError,
    WorkspaceError,
)
from answerkey.web.headers import security_headers

__all__ = ["ApiError", "error_body", "hide_server_paths", "install_error_handlers", "status_of"]

ABSOLUTE_PATH = re.compile(r"(?<![\w.:-])/(?!/)[^\s'\"`,;()<>\[\]{}|]+")
"""A POSIX absolute path in running text (not a URL's path after its host, not the ``//`` of a URL)."""


class ApiError(Exception):
    """An HTTP refusal with its status (401 no token, 403 wrong role, 413 too large...)."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []


def error_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The envelope of every API error."""
    return {"ok": False, "error": message, "errors": errors or [], "status": status}


def status_of(exc: AnswerkeyError) -> int:
    """The HTTP status an answerkey error maps to: 404 not found, 409 a conflict with what is stored (a taken
    name, a changed item, a file that cannot be rewritten safely), 422 anything wrong with the request."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | StoreError | WorkspaceError):
        return 409
    return 422


def _problems(exc: AnswerkeyError) -> list[dict[str, Any]]:
    if isinstance(exc, ImportValidationError):
        return [{"file": p.file, "row": p.row, "field": p.column, "found": p.found, "expected": p.expected}
                for p in exc.problems]
    return []


def hide_server_paths(text: str, root: Path) -> str:
    """``text`` with no filesystem path of the server in it: a path inside the workspace ``root`` is shown
    relative to it, any other absolute path that names a folder of the server (its first part exists) by its
    file name alone. URL paths such as ``/api/items`` stay as they are."""
    for prefix in sorted({str(root), str(root.resolve())}, key=len, reverse=True):
        text = text.replace(prefix + "/", "")
        text = re.sub(re.escape(prefix) + r"(?![\w.-])", ".", text)

    def hidden(match: re.Match[str]) -> str:
        path = match.group(0)
        parts = path.strip("/").split("/")
        return Path(path).name if len(parts) > 1 and Path("/", parts[0]).is_dir() else path

    return ABSOLUTE_PATH.sub(hidden, text)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def _respond(request: Request, status: int, message: str, errors: list[dict[str, Any]],
             headers: dict[str, str] | None = None) -> Response:
    root: Path = request.app.state.workspace.root
    message = hide_server_paths(message, root)
    errors = [{k: hide_server_paths(v, root) if isinstance(v, str) else v for k, v in e.items()} for e in errors]
    if _wants_page(request):
        from answerkey.web.pages import error_page

        return error_page(request, status, message)
    return JSONResponse(error_body(status, message, errors), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Every error, ours or the framework's, leaves as the envelope (or the error page for a browser)."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _respond(request, exc.status, str(exc), exc.errors, headers)

    @app.exception_handler(AnswerkeyError)
    async def _answerkey(request: Request, exc: AnswerkeyError) -> Response:
        return _respond(request, status_of(exc), str(exc).split("\n")[0], _problems(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "found": _found(e),
                   "expected": str(e.get("msg", ""))} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "expected": "a valid request"}
        message = f"{first['field']}: {first['expected']}" if errors else "the request is not valid"
        return _respond(request, 422, message, errors)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        return _respond(request, 409, "a concurrent request wrote the same thing first; read it again and retry "
                                      "if still needed", [])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logging.getLogger("answerkey.web").error("unexpected error on %s %s", request.method, request.url.path,
                                                 exc_info=exc)
        response = _respond(request, 500, f"unexpected error ({type(exc).__name__}); it is logged on the server", [])
        # sent from outside every middleware (Starlette's ServerErrorMiddleware), so it brings its own headers
        response.headers.update(security_headers(request.url.path))
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such path: {request.url.path}"
        return _respond(request, exc.status_code, message, [], getattr(exc, "headers", None))


def _found(error: Any) -> str:
    value = error.get("input")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
