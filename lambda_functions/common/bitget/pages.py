"""Shaping one page of an order-history endpoint: the page-size check and the normalised empty forms.

Bitget answers an empty page in several ways (`data: null`, `entrustedList: null`, `endId: ""`, `nextFlag` as
the string "true"; BITGET_API.md §10b). The endpoint methods return one shape for each; rows and every other
field stay exactly as Bitget sent them (strings stay strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_PAGE_LIMIT = 100  # Bitget's documented maximum page size on the history endpoints


def checked_limit(limit: int) -> int:
    """`limit`, or ValueError when it is outside 1..100 (rejected locally rather than sent)."""
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_LIMIT}, got {limit!r}")
    return limit


def row_list(data: Any) -> list[dict]:
    """A list-shaped `data` (spot history, symbol lists); null is the empty list."""
    return list(data or [])


def spot_plan_page(data: Mapping[str, Any] | None) -> dict:
    """{"nextFlag": bool or None, "idLessThan": str or None, "orderList": [...]} plus any other field as sent.
    `nextFlag` is None when Bitget sent none (`next_flag`)."""
    data = data or {}
    return {
        **data,
        "nextFlag": next_flag(data.get("nextFlag")),
        "idLessThan": data.get("idLessThan") or None,
        "orderList": list(data.get("orderList") or []),
    }


def futures_page(data: Mapping[str, Any] | None) -> dict:
    """{"entrustedList": [...], "endId": str or None} plus any other field as sent."""
    data = data or {}
    return {
        **data,
        "entrustedList": list(data.get("entrustedList") or []),
        "endId": data.get("endId") or None,
    }


def cursor_page(data: Mapping[str, Any] | None) -> dict:
    """A v3 list page: {"list": [...], "cursor": str or None} plus any other field as sent. `list` may be null
    and `cursor` a number in live answers (BITGET_API.md §10b, §11)."""
    data = data or {}
    cursor = data.get("cursor")
    return {
        **data,
        "list": list(data.get("list") or []),
        "cursor": str(cursor) if cursor not in (None, "") else None,
    }


def fill_page(data: Mapping[str, Any] | None) -> dict:
    """Futures fill history: {"fillList": [...], "endId": str or None} plus any other field as sent."""
    data = data or {}
    return {**data, "fillList": list(data.get("fillList") or []), "endId": data.get("endId") or None}


def next_flag(value: object) -> bool | None:
    """Spot plan's "more data" flag: True/False as a JSON boolean or the strings "true"/"false"; None when it is
    absent, null or anything else. None is "unknown", not "no more": a short page is never the end by itself
    (BITGET_API.md §3, §10a), so only an explicit false may end a walk. The client and the pager both read the
    flag with this."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    return {"true": True, "false": False}.get(text) if text else None
