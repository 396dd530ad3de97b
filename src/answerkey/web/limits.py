"""A cap on request bodies, enforced while they stream in (a missing or lying Content-Length does not help)."""

from __future__ import annotations

import json
from typing import Any

from answerkey.web.envelope import error_body

__all__ = ["MAX_BODY_BYTES", "BodyLimit"]

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body accepted: 8 MiB (about 50,000 annotation rows; larger loads are file imports)."""


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is answered 413 with the error envelope, before any handler
    has read it, so nothing is written."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:  # read the whole body first (it is at most `limit` bytes), then hand it on
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Any:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps(error_body(413, f"the request body is over {self.limit} bytes; send smaller batches "
                                          "or import a file")).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
