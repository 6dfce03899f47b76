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


def signed_headers(server: SandboxServer, path: str, query: str = "", **overrides: Any) -> dict[str, str]:
    """Bitget's four auth headers; an override of None drops that header, a string replaces it."""
    creds = server.credentials
    timestamp = overrides.pop("timestamp", str(time.time_ns() // 1_000_000))
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


def page_all(server: SandboxServer, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of a history endpoint, paging with idLessThan until an empty page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params, **({"idLessThan": cursor} if cursor else {}))
        body = get(server, path, query).json()
        assert body["code"] == "00000", body
        data = body["data"]
        page = data if isinstance(data, list) else data.get("entrustedList", data.get("orderList"))
        if not page:
            return rows
        rows.extend(page)
        cursor = page[-1]["orderId"]
