"""The workbench app: the HTTP JSON API under ``/api`` and the server-rendered UI, over one workspace."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import plotly  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from answerkey import __version__
from answerkey.project.workspace import Workspace
from answerkey.web.api import ROUTERS as API_ROUTERS
from answerkey.web.envelope import install_error_handlers
from answerkey.web.headers import SecurityHeaders, api_docs_page
from answerkey.web.limits import MAX_BODY_BYTES, BodyLimit
from answerkey.web.rate_limit import RateLimiter
from answerkey.web.security import Sessions, SignInRequiredError
from answerkey.web.views import ROUTERS as VIEW_ROUTERS
from answerkey.web.writer import WritePath

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
"""Plotly's own bundled ``plotly.min.js``, served as ``/static/vendor/plotly.min.js``: charts with no build step
and no CDN (the workbench works offline)."""


def create_app(workspace: Workspace, *, secure_cookies: bool = False, max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """The app for ``workspace``; ``secure_cookies`` marks the session cookie Secure (behind HTTPS)."""
    app = FastAPI(
        title="answerkey",
        version=__version__,
        description="Ground truth as infrastructure: the workspace's items, annotations, consensus, findings, "
                    "releases, predictions and outcomes, and agent evaluations. Send `Authorization: Bearer "
                    "TOKEN` (`answerkey token create NAME --role ROLE`). Errors are "
                    '`{"ok": false, "error", "errors", "status"}`.',
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below, with a Content-Security-Policy of its own
        redoc_url=None,
    )
    app.state.workspace = workspace
    app.state.writer = WritePath(workspace)
    app.state.push_limiter = RateLimiter()
    app.state.sessions = Sessions(workspace, app.state.writer)
    app.state.secure_cookies = secure_cookies
    install_error_handlers(app)

    @app.exception_handler(SignInRequiredError)
    async def _sign_in(request: Request, _exc: SignInRequiredError) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    for router in API_ROUTERS:
        app.include_router(router, prefix="/api")
    for router in VIEW_ROUTERS:
        app.include_router(router)

    @app.get("/api/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return api_docs_page(str(app.openapi_url), f"{app.title} - Swagger UI")

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def _plotly() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: a refused body's 413 gets the headers too
    return app
