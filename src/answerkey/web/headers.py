"""Security headers on every response: a Content-Security-Policy, no framing, no MIME sniffing, no referrer
to other sites.

The pages load only their own scripts (``/static/*.js`` and Plotly's bundle at ``/static/vendor/plotly.min.js``):
no inline script, no ``eval``, nothing from another origin, so ``script-src 'self'``. Chart data travels in
``<script type="application/json">`` blocks, which are data, not scripts, and need no exception. Styles allow
``'unsafe-inline'``: Plotly draws with inline ``style`` attributes and a ``<style>`` element it adds, and a style
cannot run code. The API's JSON gets a policy that allows nothing at all. The interactive API docs (Swagger UI)
load their script and stylesheet from cdn.jsdelivr.net and start with one inline script, allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

__all__ = ["API_POLICY", "COMMON_HEADERS", "PAGE_POLICY", "SecurityHeaders", "api_docs_page", "security_headers"]

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
"""The pages' policy: everything from this origin only; inline styles (Plotly) but never inline scripts."""
API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
"""The JSON API's policy: a response shown in a browser may load and run nothing."""
COMMON_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
DOCS_CDN = "https://cdn.jsdelivr.net"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def security_headers(path: str) -> dict[str, str]:
    """The security headers of a response to ``path``."""
    policy = API_POLICY if path == "/api" or path.startswith("/api/") else PAGE_POLICY
    return {"Content-Security-Policy": policy, **COMMON_HEADERS}


class SecurityHeaders:
    """ASGI middleware: every response gets :func:`security_headers`, except a header the route set itself
    (the API docs page sets its own policy)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                  for name, value in security_headers(scope.get("path", "")).items()]

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def api_docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI for the API, with a policy that allows its CDN and, by hash, its one inline script."""
    page = get_swagger_ui_html(openapi_url=openapi_url, title=title)
    body = bytes(page.body).decode("utf-8")
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in INLINE_SCRIPT.findall(body))
    policy = (f"default-src 'self'; script-src 'self' {DOCS_CDN} {hashes}; style-src 'self' {DOCS_CDN} "
              "'unsafe-inline'; img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    return HTMLResponse(body, headers={"Content-Security-Policy": policy, **COMMON_HEADERS})
