"""A tiny signed-request helper for the sandbox tests (deliberately independent of the project's client)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

import requests

from sandbox import SandboxServer

SESSION = requests.Session()


def sign(secret: str, prehash: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()


def signed_headers(
    server: SandboxServer, path: str, query: str = "", offset_ms: int = 0, **overrides: Any
) -> dict[str, str]:
    """Bitget's four auth headers, timestamped with the local clock + `offset_ms`; an override of None drops
    that header, a string replaces it."""
    creds = server.credentials
    timestamp = overrides.pop("timestamp", str(time.time_ns() // 1_000_000 + offset_ms))
    secret = overrides.pop("secret", creds.api_secret)
    prehash = timestamp + "GET" + path + (f"?{query}" if query else "")
    headers = {
        "ACCESS-KEY": creds.api_key,
        "ACCESS-SIGN": sign(secret, prehash),
        "ACCESS-TIMESTAMP": timestamp,
        "ACCESS-PASSPHRASE": creds.passphrase,
        "Content-Type": "application/json",
    }
    for name, value in overrides.items():
        header = "ACCESS-" + name.upper()
        if value is None:
            headers.pop(header)
        else:
            headers[header] = value
    return headers


def get(
    server: SandboxServer,
    path: str,
    params: dict[str, Any] | None = None,
    signed: bool = True,
    **overrides: Any,
) -> requests.Response:
    """GET `path` with `params` sorted by key (as Bitget clients send them), signed unless signed=False."""
    query = urlencode(sorted((params or {}).items()))
    headers = signed_headers(server, path, query, **overrides) if signed else {}
    url = server.base_url + path + (f"?{query}" if query else "")
    return SESSION.get(url, headers=headers, timeout=10)


def rows_of(data: Any) -> list[dict[str, Any]]:
    """The rows of any history page: a list, `entrustedList` or `orderList`; null forms read as no rows."""
    if data is None or isinstance(data, list):
        return data or []
    return data.get("entrustedList", data.get("orderList")) or []


def page_all(
    server: SandboxServer,
    path: str,
    params: dict[str, Any],
    stop_on_short: bool = False,
    offset_ms: int = 0,
) -> list[dict[str, Any]]:
    """Every row of a history endpoint, paging with idLessThan until an empty page (or, with stop_on_short,
    the naive rule: until a page shorter than `limit`); requests are signed with local clock + offset_ms."""
    rows: list[dict[str, Any]] = []
    cursor = None
    limit = int(params.get("limit", 100))
    while True:
        query = dict(params, **({"idLessThan": cursor} if cursor else {}))
        body = get(server, path, query, offset_ms=offset_ms).json()
        assert body["code"] == "00000", body
        page = rows_of(body["data"])
        rows.extend(page)
        if not page or (stop_on_short and len(page) < limit):
            return rows
        cursor = page[-1]["orderId"]
