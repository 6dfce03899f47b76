"""A documented ceiling on request bodies: larger ones get 413 with a sentence, before they are read whole.

A pure ASGI middleware (no Starlette `BaseHTTPMiddleware`, which would copy every response). A declared
`Content-Length` above the limit is refused without reading anything; a body sent without one (chunked) is read
up to the limit and refused as soon as it passes it. An accepted body is handed on as one message, so the route
and the JSON guard behind it read it as if nothing stood in between.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import json_response, replay

LIMIT_VARIABLE = "MAX_REQUEST_BODY_BYTES"


class BodyLimitMiddleware:
    """413 for a request body larger than `max_bytes` (MAX_REQUEST_BODY_BYTES)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await json_response(send, 400, "the Content-Length header is not a number of bytes", close=True)
            return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(send, f"{declared} bytes")
            return
        body, disconnected = await self._read(receive)
        if body is None:
            await self._too_large(send, f"more than {self.max_bytes} bytes")
            return
        await self.app(scope, replay(body, receive, disconnected), send)

    async def _read(self, receive: Receive) -> tuple[bytes | None, bool]:
        """The whole body, or None once it passes the limit; and whether the client went away meanwhile."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None, False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _too_large(self, send: Send, size: str) -> None:
        await json_response(
            send,
            413,
            f"request body too large: {size}; the limit is {self.max_bytes} bytes ({LIMIT_VARIABLE}). "
            "Send fewer symbols per request, or omit `symbols` to read the whole account.",
            close=True,
        )


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent, -1 when it is not a number."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-length":
            text: Any = value.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()):
                return -1
            return int(text) if len(text) <= 18 else 10**18  # int() refuses thousands of digits
    return None
