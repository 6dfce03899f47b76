"""What the coordinator is asked: a direct invoke's event, a Lambda Function URL request, or (in-process, the
embedded mode) a typed `StartRequest`; the resume action's event is resume.py's."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from lambda_functions.coordinator.validation import RequestError, quote


@dataclass(frozen=True)
class StartRequest:
    """A request to start an extraction, as asked: the fields of the direct-invoke event (docs/CONTRACTS.md).

    Only its shape is checked here (`from_body`): `validation.parse_request` checks every field, whoever asks
    (a direct invoke may send anything, whatever the annotations say)."""

    symbols: list[str] | str | None = None  # None or "all": the whole account
    start_ms: int | None = None
    end_ms: int | None = None
    include_plan_orders: bool | None = None  # None: the service default
    include_simulation: bool | None = None
    include_fills: bool | None = None
    since: str | None = None  # "last_sync": an incremental sync of the whole account
    spot_plan_symbols: list[str] | None = None
    expected_account_id: str | None = None  # refuse (409) when the key belongs to another account

    @classmethod
    def from_body(cls, body: Any) -> StartRequest:
        """The request in a decoded JSON body; RequestError when it is not an extraction request at all."""
        if not isinstance(body, dict):
            raise RequestError(f"the request must be a JSON object, got {type(body).__name__}")
        if "action" in body:  # e.g. {"action": "resume"} sent where only extraction requests are taken
            raise RequestError(
                f"'action' {quote(body['action'])} is not an extraction request: actions are taken by a direct "
                "invoke only"
            )
        return cls(**{name: body.get(name) for name in FIELDS})

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
FIELDS = ("symbols", "start_ms", "end_ms", *OPTIONS)


def parse_event(event: Any) -> StartRequest:
    """The start request of a direct invoke or a Function URL request; RequestError naming what is wrong."""
    return StartRequest.from_body(request_body(event))


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
