"""Small ASGI helpers shared by the request guards (body_limit.py, json_guard.py)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Send


async def json_response(send: Send, status: int, detail: Any, *, close: bool = False) -> None:
    """Answers `{"detail": detail}` with `status` directly (the app is never called). `close`: the request body
    was not read to its end, so the connection cannot carry another request."""
    body = json.dumps({"detail": detail}, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def replay(body: bytes, receive: Receive, disconnected: bool = False) -> Receive:
    """A `receive` that hands over `body` (already read) as one message, then defers to the real one."""
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return receive_again
