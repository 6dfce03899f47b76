"""The ground truth the extraction is judged against: `GET /sandbox/truth` and `SandboxServer.truth()`.

It reads the generated streams directly and never goes through the endpoints' paging code (history.py's
StreamIndex), so a paging bug cannot hide itself from the judge.
- kind `orders`: the finished orders a correct client can obtain now: cTime in [max(now - 90 days, start), end],
  uTime <= now, with their final fields;
- kind `open`: the orders open now (cTime <= now < uTime) as the open-order endpoints show them, cTime in
  [start, end] when given.
Both add `stream` and sort newest first by (cTime, orderId, stream).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.clock import RETENTION_MS
from sandbox.history import Account
from sandbox.lifecycle import is_finished, is_open
from sandbox.openview import open_row

KINDS = ("orders", "open")


def newest_first_key(order: Mapping[str, Any]) -> tuple[int, int, str]:
    """Sort key (use with reverse=True): newest cTime first, then the larger orderId, then the stream name.

    The sandbox's own definition: the judge of the extraction must not share the project's code."""
    return (int(order["cTime"]), int(order["orderId"]), str(order.get("stream", "")))


def truth(
    account: Account,
    symbol: str | None,
    start_ms: int | None,
    end_ms: int | None,
    now_ms: int,
    kind: str = "orders",
) -> list[dict[str, Any]]:
    """The truth of `symbol` (None: every symbol of the account; an unknown one has none), newest first."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    specs = (
        account.profile.symbols
        if symbol is None
        else [s for s in account.profile.symbols if s.symbol == symbol]
    )
    high = now_ms if end_ms is None else end_ms
    rows: list[dict[str, Any]] = []
    for spec in specs:
        coins = account.coins(spec.symbol)
        for stream in spec.streams():
            for order in account.stream_orders(spec.symbol, stream):
                ctime = int(order["cTime"])
                if kind == "orders":
                    if max(now_ms - RETENTION_MS, start_ms or 0) <= ctime <= high and is_finished(
                        order, now_ms
                    ):
                        rows.append({**order, "stream": stream})
                elif (start_ms or 0) <= ctime <= high and is_open(order, now_ms):
                    rows.append({**open_row(order, stream, coins, now_ms), "stream": stream})
    rows.sort(key=newest_first_key, reverse=True)
    return rows


def truth_params(params: Mapping[str, str]) -> dict[str, Any]:
    """`symbol`, `start_ms`, `end_ms`, `kind` of a `GET /sandbox/truth` query; ValueError names a bad one."""
    bounds: dict[str, int | None] = {}
    for name in ("start_ms", "end_ms"):
        value = params.get(name)
        if value is not None and not value.isdigit():
            raise ValueError(f"query parameter {name!r} must be an integer (ms)")
        bounds[name] = None if value is None else int(value)
    kind = params.get("kind", "orders")
    if kind not in KINDS:
        raise ValueError(f"query parameter 'kind' must be one of {', '.join(KINDS)}")
    return {"symbol": params.get("symbol"), **bounds, "kind": kind}
