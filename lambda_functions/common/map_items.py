"""What one Map item may return: a few hundred bytes, whatever happened to its worker.

Step Functions refuses a state output above 256 KiB with `States.DataLimitExceeded`, which no Catch matches:
the execution simply fails and nothing is aggregated. The Map's output is every item's output together, so
each item is bounded:

- a worker summary is a few hundred bytes (docs/CONTRACTS.md, "Worker summary");
- a worker failure is an error item `{"symbol", "error": {"Error", "Cause"}}`. The worker handler turns its
  own exceptions into one (`reports_errors_as_items`), the Cause cut so the whole item is at most
  `MAX_ERROR_ITEM_BYTES`. Failures the handler cannot catch (Lambda timeout, out of memory, a crash while
  importing) reach the Map's Catch, whose `SymbolFailed` state keeps only the symbol and the error name
  (`{"symbol", "error": {"Error"}}`): JSONPath cannot cut a string, and AWS caps an error name at 256
  characters while a Cause may be 32 KB.

Sizes are measured as moto measures them (`json.dumps` defaults: `\\uXXXX` escapes, spaces after separators),
never less than the compact UTF-8 JSON AWS counts.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from lambda_functions.common.execution_names import is_execution_name
from lambda_functions.common.logs import log_context

MAX_ERROR_ITEM_BYTES = 220  # 1,000 error items + their symbols stay under 256 KiB
MAX_SYMBOL_BYTES = 60  # each measured as its JSON string; what is left after both goes to the Cause
MAX_ERROR_NAME_BYTES = 80
_CUT_MARK = "..."

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]


def item_bytes(item: Any) -> int:
    """The size Step Functions' quota check sees for `item` (an upper bound of AWS's own count)."""
    return len(json.dumps(item).encode("utf-8"))


def cut(text: str, max_bytes: int, mark: str = "") -> str:
    """The longest prefix of `text` (plus `mark` when cut) whose JSON string is at most `max_bytes`."""
    if item_bytes(text) <= max_bytes:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if item_bytes(text[:middle] + mark) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return text[:low] + mark if low and item_bytes(text[:low] + mark) <= max_bytes else ""


def item_symbol(event: Any) -> str:
    """The symbol a Map item was given, as given (it must match the execution's list), bounded."""
    value = event.get("symbol") if isinstance(event, dict) else None
    if value is None:
        return "?"
    text = value.strip() if isinstance(value, str) else json.dumps(value, default=str)
    return cut(text, MAX_SYMBOL_BYTES) or "?"


def item_execution(event: Any) -> str | None:
    """The execution a Map item belongs to, when its event names a valid one (for the failure's log line)."""
    value = event.get("execution") if isinstance(event, dict) else None
    return value if is_execution_name(value) else None


def error_item(symbol: str, error: str, cause: str = "") -> dict[str, Any]:
    """`{"symbol", "error": {"Error", "Cause"}}`, at most MAX_ERROR_ITEM_BYTES: the Cause is folded onto one
    line and cut (marked with "...") to what the symbol and the error name leave."""
    item: dict[str, Any] = {
        "symbol": cut(symbol, MAX_SYMBOL_BYTES) or "?",
        "error": {"Error": cut(error, MAX_ERROR_NAME_BYTES) or "Error", "Cause": ""},
    }
    room = MAX_ERROR_ITEM_BYTES - item_bytes(item) + item_bytes("")
    item["error"]["Cause"] = cut(" ".join(cause.split()), room, _CUT_MARK)
    return item


def exception_item(event: Any, exc: BaseException) -> dict[str, Any]:
    """The error item for an exception raised while handling `event`."""
    return error_item(item_symbol(event), type(exc).__name__, str(exc))


def reports_errors_as_items(handler: Handler) -> Handler:
    """Wrap a Map worker's handler: an exception becomes a bounded error item (logged in full, with its
    traceback, to the function's log) instead of a Lambda error whose Cause could be kilobytes."""

    @functools.wraps(handler)
    def handle(event: Any, context: Any = None) -> Any:
        try:
            return handler(event, context)
        except Exception as exc:
            item = exception_item(event, exc)
            with log_context(execution=item_execution(event), symbol=item["symbol"]):
                logger.exception("map item failed; reported as an error item")
            return item

    return handle
