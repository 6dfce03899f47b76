"""`NaN`, `Infinity` and numbers too large for a float are not JSON: a body holding one gets 422 naming where.

Python's JSON parser accepts these literals (and turns `1e999` into infinity), so without this guard they would
reach validation as floats and fail later, or come back in an error that cannot be encoded (a 500). The guard
parses JSON bodies once more with hooks that mark such values, and answers in FastAPI's own error shape:

    {"detail": [{"type": "json_invalid", "loc": ["body", "start_ms"], "msg": "NaN is not a JSON number: ...",
                 "input": "NaN"}]}

A body Python's parser refuses for reasons FastAPI reports only as "There was an error parsing the body" (not
UTF-8, nested thousands deep, an integer of thousands of digits) gets a 422 saying which. Bodies that are not
JSON (forms) are passed on untouched; other malformed JSON is left to FastAPI's own 422.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import json_response, replay

METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _NonFinite:
    """Stands in for a literal that is not a finite JSON number, remembering how it was written."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def body_problem(body: bytes) -> dict[str, Any] | None:
    """The 422 error entry for a JSON body that holds a value that is not a finite number or cannot be parsed
    for a reason FastAPI would not name; None when it is fine (or malformed JSON, which FastAPI names)."""
    try:
        document = json.loads(body, parse_constant=_NonFinite, parse_float=_float)
    except json.JSONDecodeError:
        return None
    except UnicodeDecodeError as exc:
        return _error(
            f"the body is not UTF-8 text (byte {exc.object[exc.start]:#04x} at {exc.start}): send UTF-8"
        )
    except RecursionError:
        return _error("the body is nested too deeply to read: flatten it (a few levels are enough here)")
    except ValueError:  # an integer too long to convert (Python refuses more than 4300 digits)
        return _error("a number in the body has thousands of digits: send a number within range")
    found = find_non_finite(document)
    return describe(*found) if found else None


def _error(msg: str) -> dict[str, Any]:
    return {"type": "json_invalid", "loc": ["body"], "msg": msg, "input": None}


def find_non_finite(document: Any) -> tuple[list[str | int], str] | None:
    """(path, literal) of the first value in a parsed document that is not a finite number, or None."""
    stack: list[tuple[list[str | int], Any]] = [([], document)]
    while stack:  # depth-first, first key first; no recursion (the document may be deep)
        path, value = stack.pop()
        if isinstance(value, _NonFinite):
            return path, value.text
        if isinstance(value, dict):
            stack.extend(([*path, key], item) for key, item in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend(([*path, index], item) for index, item in reversed(list(enumerate(value))))
    return None


def describe(path: list[str | int], literal: str) -> dict[str, Any]:
    """The 422 error entry for `literal` at `path`."""
    shown = literal if len(literal) <= 40 else f"{literal[:40]}... ({len(literal)} characters)"
    if literal in ("NaN", "Infinity", "-Infinity"):
        msg = f"{literal} is not a JSON number: send a number, or null where the field allows it"
    else:
        msg = f"the number {shown} is too large (it would be infinite): send a number within range"
    where = [str(part)[:80] if isinstance(part, str) else part for part in path]
    return {"type": "json_invalid", "loc": ["body", *where], "msg": msg, "input": shown}


def _is_json(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when it says so, or says nothing about its type."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-type":
            return b"json" in value.lower()
    return True


class NonFiniteJsonMiddleware:
    """422 for a JSON request body holding NaN, Infinity or an out-of-range number."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS_WITH_BODY or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        disconnected = False
        while True:  # BodyLimitMiddleware, in front, has bounded it
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = body_problem(body) if body else None
        if problem is not None:
            await json_response(send, 422, [problem])
            return
        await self.app(scope, replay(body, receive, disconnected), send)
