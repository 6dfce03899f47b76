"""Structured logs: one JSON object per line, with the correlation fields bound once per invocation or request.

The correlation fields (docs/worker.md, "Log fields") are `execution` (the execution's name), `symbol` (the
worker's symbol or account unit), `stream` (the stream being paged) and `account` (the Bitget account id).
Code binds them where an invocation or request starts, `with log_context(execution=..., symbol=...):`, and
every line logged inside, in any module (the Bitget client's retry lines included), carries them:
`CorrelationFilter` stamps them on each record as it reaches a handler, and `JsonFormatter` writes a record's
extra attributes as top-level keys. A field given with `extra={...}` wins over the bound one.

Bindings live in a context variable: nested blocks add or override fields and restore them on exit, and
concurrent invocations (threads of the embedded runner) never see each other's. A new thread or a pool's
task starts without them (Python 3.11): hand it `carry_context(fn)` to run `fn` with the caller's fields.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_BOUND: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "log_fields", default=MappingProxyType({})
)


@contextmanager
def log_context(
    *,
    execution: str | None = None,
    symbol: str | None = None,
    stream: str | None = None,
    account: str | None = None,
) -> Iterator[None]:
    """Bind correlation fields for the lines logged inside the block (None leaves a field as it was)."""
    given = {"execution": execution, "symbol": symbol, "stream": stream, "account": account}
    token = _BOUND.set(
        {**_BOUND.get(), **{name: value for name, value in given.items() if value is not None}}
    )
    try:
        yield
    finally:
        _BOUND.reset(token)


def bound_fields() -> dict[str, str]:
    """The correlation fields bound here and now."""
    return dict(_BOUND.get())


def carry_context(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` with the fields bound where it is wrapped, for a thread or a pool's task; each call runs in its
    own copy of that context, so calls on several threads at once do not share one."""
    context = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.copy().run(fn, *args, **kwargs)

    return run


class CorrelationFilter(logging.Filter):
    """Stamps the bound correlation fields on every record a handler receives (never over an explicit extra).

    A handler's filters run on the thread that logged, so a record gets the fields of its own invocation."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _BOUND.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON; extra fields (passed with `extra={...}` or bound) become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def json_handler(handler: logging.Handler | None = None) -> logging.Handler:
    """`handler` (default: a new stderr handler) writing JSON lines with the bound correlation fields."""
    handler = handler or logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    if not any(isinstance(f, CorrelationFilter) for f in handler.filters):
        handler.addFilter(CorrelationFilter())
    return handler


def configure_json_logging(level: str | None = None) -> None:
    """Route the root logger to stderr as JSON lines; idempotent, so safe on every warm invocation.

    An explicit `level` means the caller owns the process (the API, a Lambda's entry point). Without one (a
    handler that may run inside the API in embedded mode) only a process nobody configured is touched, at
    LOG_LEVEL, so the API's own LOG_LEVEL wins. On Lambda the runtime pre-installs a plain-text root handler:
    it gets the JSON formatter instead of a second handler that would print every line twice.
    """
    root = logging.getLogger()
    on_lambda = "AWS_LAMBDA_FUNCTION_NAME" in os.environ
    if level is None and root.handlers and not on_lambda:
        return
    if on_lambda:
        for handler in root.handlers:
            json_handler(handler)
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.addHandler(json_handler())
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))
