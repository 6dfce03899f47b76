"""Paging one Bitget history backwards with idLessThan, as generators with explicit stop rules.

`paginate` walks one query (one stream, one time slice, one planType) from the newest page to the oldest and
yields each page's rows. It stops for exactly one of these reasons, recorded in `PagingState.end`:

- `complete`: the data ended: an empty page, `nextFlag=false` (spot plan), no cursor (`endId` null), or, with
  smart pagination, a page shorter than the size asked for (Bitget fills every page while data remains, so the
  request after a short page cannot return anything: that request is skipped, and counted as saved);
- `max_pages`: the stream's page cap was reached while more data may exist (incomplete, never silent);
- `timeout`: the time budget cannot afford another request (incomplete);
- `cursor_stalled`: the cursor did not move (a server bug; stopping avoids an endless loop; incomplete).

Errors from the client propagate to the caller, which categorises them. The per-endpoint adapters below turn
each endpoint family's response shape into a `Page`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.page_size import PageSizer

COMPLETE = "complete"
MAX_PAGES = "max_pages"
TIMEOUT = "timeout"
CURSOR_STALLED = "cursor_stalled"


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    cursor: str | None  # the idLessThan for the next page
    has_more: bool | None = None  # an explicit "more data" flag when the endpoint has one (spot plan)


# (id_less_than, limit, timeout_s) -> Page
FetchPage = Callable[[str | None, int, float], Page]


@dataclass
class PagingState:
    """Shared by every query of one stream, so the page cap counts the whole stream."""

    max_pages: int
    pages: int = 0
    end: str | None = None
    requests_saved: int = 0  # requests smart pagination skipped after a short page

    @property
    def complete(self) -> bool:
        return self.end == COMPLETE


def end_of_data(page: Page, limit: int, smart: bool) -> str | None:
    """Why no further page can hold data, or None when another page may."""
    if not page.rows:
        return "empty_page"
    if page.has_more is not None:
        return None if page.has_more else "no_more_flag"
    if not page.cursor:
        return "no_cursor"
    if smart and len(page.rows) < limit:
        return "short_page"
    return None


def paginate(
    fetch: FetchPage,
    state: PagingState,
    sizer: PageSizer,
    budget: TimeBudget,
    *,
    smart: bool = True,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the rows of every page of one query, newest first; `state.end` says why it stopped."""
    cursor: str | None = None
    state.end = None
    while True:
        if state.pages >= state.max_pages:
            state.end = MAX_PAGES
            return
        timeout_s = budget.request_timeout()
        if timeout_s is None:
            state.end = TIMEOUT
            return
        limit = sizer.size
        started = monotonic()
        page = fetch(cursor, limit, timeout_s)
        sizer.record(monotonic() - started)
        state.pages += 1
        if page.rows:
            yield page.rows
        stop = end_of_data(page, limit, smart)
        if stop is not None:
            state.requests_saved += stop == "short_page"
            state.end = COMPLETE
            return
        if page.cursor == cursor:
            state.end = CURSOR_STALLED
            return
        cursor = page.cursor


def _last_order_id(rows: list[dict[str, Any]]) -> str | None:
    return str(rows[-1]["orderId"]) if rows else None


def spot_fetcher(client: Any, symbol: str, tpsl_type: str, start_ms: int, end_ms: int) -> FetchPage:
    """Spot history (normal or tpsl): a bare array; the cursor is the last row's orderId."""

    def fetch(cursor: str | None, limit: int, timeout_s: float) -> Page:
        rows = client.spot_history_orders(
            symbol,
            start_ms=start_ms,
            end_ms=end_ms,
            id_less_than=cursor,
            limit=limit,
            tpsl_type=tpsl_type,
            timeout_s=timeout_s,
        )
        rows = list(rows or [])
        return Page(rows, _last_order_id(rows))

    return fetch


def spot_plan_fetcher(client: Any, symbol: str, start_ms: int, end_ms: int) -> FetchPage:
    """Spot plan history: `{nextFlag, idLessThan, orderList}`; nextFlag decides whether more exists."""

    def fetch(cursor: str | None, limit: int, timeout_s: float) -> Page:
        data = (
            client.spot_plan_history(
                symbol,
                start_ms=start_ms,
                end_ms=end_ms,
                id_less_than=cursor,
                limit=limit,
                timeout_s=timeout_s,
            )
            or {}
        )
        rows = list(data.get("orderList") or [])
        flag = data.get("nextFlag")
        has_more = None if flag is None else flag in (True, "true")
        return Page(rows, data.get("idLessThan") or _last_order_id(rows), has_more)

    return fetch


def futures_fetcher(
    client: Any, product_type: str, symbol: str, start_ms: int, end_ms: int, plan_type: str | None = None
) -> FetchPage:
    """Futures order history, or with `plan_type` one planType of plan history: both answer
    `{entrustedList, endId}`, and endId is the next cursor."""

    def fetch(cursor: str | None, limit: int, timeout_s: float) -> Page:
        query: dict[str, Any] = {
            "symbol": symbol,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "id_less_than": cursor,
            "limit": limit,
            "timeout_s": timeout_s,
        }
        if plan_type is None:
            data = client.futures_history_orders(product_type, **query)
        else:
            data = client.futures_plan_history(product_type, plan_type, **query)
        data = data or {}
        return Page(list(data.get("entrustedList") or []), data.get("endId") or None)

    return fetch
