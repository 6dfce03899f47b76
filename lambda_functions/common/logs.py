"""Structured logs: one JSON object per line, with correlation fields (execution, symbol) when given."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON; extra fields passed with `extra={...}` become top-level keys."""

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
            handler.setFormatter(JsonFormatter())
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))
