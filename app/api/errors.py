"""Error answers that stay small and always encode, whatever was sent.

- 422 (FastAPI's validation errors): the same shape (`detail`: a list of `{type, loc, msg, input, ctx}`), but
  every `input` is a short preview of what was sent, `msg` and `loc` parts are cut to a bounded length, and at
  most MAX_ERRORS entries are listed (one more says how many were left out). Without this, a 10 MB symbol came
  back twice in a 20 MB answer, and a NaN in `input` could not be encoded at all (a 500).
- HTTPException: a `detail` sentence longer than MAX_DETAIL_CHARS is cut.
- Anything unexpected: a JSON 500 saying it is the service's fault (the traceback goes to the log, never to the
  client).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")

MAX_ERRORS = 20
MAX_MSG_CHARS = 300
MAX_DETAIL_CHARS = 1000
PREVIEW_CHARS = 100  # of an `input` string; containers show their first few items


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def preview(value: Any, budget: int = PREVIEW_CHARS) -> Any:
    """A JSON-safe, bounded stand-in for `value`: long strings cut, containers reduced to their first items,
    non-finite floats as text. Never walks more than a handful of items of a huge list."""
    if isinstance(value, str):
        return _cut(value, budget)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of {value.bit_length()} bits"  # str() refuses thousands of digits
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        items = list(value.items())[:5] if len(value) > 5 else list(value.items())
        shown = {_cut(str(key), 40): preview(item, budget // 2) for key, item in items}
        if len(value) > 5:
            shown["..."] = f"{len(value)} keys in all"
        return shown
    if isinstance(value, list | tuple):
        shown_items = [preview(item, budget // 2) for item in value[:5]]
        return [*shown_items, f"... {len(value)} items in all"] if len(value) > 5 else shown_items
    return _cut(str(value), budget)


def shorten_error(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error, bounded: loc parts, msg, input and ctx values cut."""
    short: dict[str, Any] = {
        "type": error.get("type"),
        "loc": [part if isinstance(part, int) else _cut(str(part), 80) for part in error.get("loc", ())],
        "msg": _cut(str(error.get("msg", "")), MAX_MSG_CHARS),
    }
    if "input" in error:
        short["input"] = preview(error["input"])
    # ctx.error repeats msg for a validator's ValueError: listed only when it adds something
    ctx = dict(error.get("ctx") or {})
    if "error" in ctx and str(ctx["error"]) in str(error.get("msg", "")):
        del ctx["error"]
    if ctx:
        short["ctx"] = {key: preview(value, MAX_MSG_CHARS) for key, value in ctx.items()}
    return short


def validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    shown = [shorten_error(dict(error)) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        shown.append(
            {
                "type": "too_many_errors",
                "loc": ["body"],
                "msg": f"{len(errors) - MAX_ERRORS} more errors not listed ({len(errors)} in all); "
                "fix these first",
            }
        )
    return shown


async def _validation_failed(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_errors(list(exc.errors()))}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.detail, str):
        exc.detail = _cut(exc.detail, MAX_DETAIL_CHARS)
    return await http_exception_handler(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback (and re-raises for the server's own log) after this answer is sent.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse(
        {
            "detail": f"internal error ({type(exc).__name__}): this is the service's fault, not your request's; "
            "the service log has the details. Please report it."
        },
        status_code=500,
    )


def add_error_handlers(app: FastAPI) -> None:
    """Bounded 422s, bounded HTTPException details, a JSON 500."""
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
