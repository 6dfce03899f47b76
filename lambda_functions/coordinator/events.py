"""The two event shapes the coordinator accepts: a direct invoke and a Lambda Function URL request."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from lambda_functions.coordinator.validation import RequestError


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
