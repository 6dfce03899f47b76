"""What the coordinator is asked: a direct invoke's event, a Lambda Function URL request, or (in-process, the
embedded mode) a typed `StartRequest`; the resume action's event is resume.py's."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from lambda_functions.coordinator.validation import RequestError


@dataclass(frozen=True)
class StartRequest:
    """A request to start an extraction, as asked: the fields of the direct-invoke event (docs/CONTRACTS.md).

    Nothing here is checked yet: `validation.parse_request` checks every field, whoever asks."""

    symbols: list[str] | None = None  # None: the whole account
    start_ms: int | None = None
    end_ms: int | None = None
    include_plan_orders: bool | None = None  # None: the service default
    include_simulation: bool | None = None
    include_fills: bool | None = None
    since: str | None = None  # "last_sync": an incremental sync of the whole account
    spot_plan_symbols: list[str] | None = None
    expected_account_id: str | None = None  # refuse (409) when the key belongs to another account

    def body(self) -> dict[str, Any]:
        """The direct-invoke event: symbols and window always, the options only when given."""
        head = {"symbols": self.symbols, "start_ms": self.start_ms, "end_ms": self.end_ms}
        options = {name: getattr(self, name) for name in OPTIONS if getattr(self, name) is not None}
        return head | options


OPTIONS = (
    "include_plan_orders",
    "include_simulation",
    "include_fills",
    "since",
    "spot_plan_symbols",
    "expected_account_id",
)


def is_function_url_event(event: Any) -> bool:
    return isinstance(event, dict) and "requestContext" in event and ("body" in event or "rawPath" in event)


def request_body(event: Any) -> Any:
    """The request object: the event itself (direct invoke) or its decoded JSON body (Function URL)."""
    if not is_function_url_event(event):
        return event
    body = event.get("body")
    if body is None or body == "":
        raise RequestError('the request body is empty: send a JSON object like {"symbols": ["BTCUSDT"]}')
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise RequestError("the request body is not valid base64-encoded UTF-8") from exc
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestError(f"the request body is not valid JSON: {exc.msg} at position {exc.pos}") from exc
