"""The `short_page` fault: a history page cut to a prefix while older rows still exist.

Bitget has returned pages shorter than `limit` mid-stream (BITGET_API.md §10a). The cut page keeps the cursor
of the last row it actually returns (`endId`; spot plan `idLessThan` with `nextFlag` true; v3 `cursor`), so a
client that pages until an empty page (or a null v3 cursor) still gets every row, and one that stops on a short
page loses the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def shorten(data: Any, keep: Callable[[int], int]) -> Any | None:
    """`data` of a history endpoint cut to `keep(len(rows))` rows, or None when the page has fewer than two
    rows (it cannot be shortened without looking empty) or is not a history page."""
    rows = _rows(data)
    if rows is None or len(rows) < 2:
        return None
    kept = rows[: keep(len(rows))]
    last = kept[-1]
    if isinstance(data, list):  # spot history-orders and fills: the client's cursor is the last row's id
        return kept
    if "entrustedList" in data:
        return {**data, "entrustedList": kept, "endId": last["orderId"]}
    if "fillList" in data:
        return {**data, "fillList": kept, "endId": last["tradeId"]}
    if "list" in data:  # v3: the cursor of a cut page is never null (older rows are left)
        return {**data, "list": kept, "cursor": last.get("execId", last.get("orderId"))}
    return {**data, "orderList": kept, "idLessThan": last["orderId"], "nextFlag": True}


_ROW_KEYS = ("entrustedList", "orderList", "fillList", "list")


def _rows(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        rows = next((data[key] for key in _ROW_KEYS if key in data), None)
        return rows if isinstance(rows, list) else None
    return None
