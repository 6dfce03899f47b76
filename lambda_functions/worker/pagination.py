"""Walking one Bitget history query backwards with idLessThan, one page at a time, with explicit stop rules.

A `Walker` pages one query (one stream's endpoint and parameters, over one time range) from its newest page to
its oldest. Each `step()` sends one request; the walk ends for exactly one reason, kept in `end`:

- `complete`: the data ended. Only an **empty page** proves that (for futures an empty or null
  `entrustedList`); on spot plan history `nextFlag: false` on an empty or short page also does. A short page is
  *not* the end: Bitget has answered pages shorter than `limit` while older rows existed (BITGET_API.md §10a),
  so the request after a short page is always sent.
- `cursor_stalled`: a page with rows gave no new cursor (none at all, or the one just used): the walk cannot
  go on without looping; incomplete.
- `timeout`: the time budget cannot afford another request; incomplete.
- `expired`: the whole range fell out of Bitget's 90-day retention while the run went on (nothing left to ask).

The query window is computed per request (`bounds()`), from Bitget's clock, so a run that crosses the retention
edge while paging moves its startTime with it instead of failing with 40704. Errors from the client propagate;
the walker keeps its cursor, so a new `step()` after a pause continues where the failed one stopped.
`paginate()` is the same walk as a generator, for sequential use and tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lambda_functions.common.bitget.pages import next_flag
from lambda_functions.common.streams import UTA_TIME_ALIASES, record_id_field, uta_stream
from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.page_size import PageSizer
from lambda_functions.worker.rows import row_problem

COMPLETE = "complete"
MAX_PAGES = "max_pages"
TIMEOUT = "timeout"
CURSOR_STALLED = "cursor_stalled"
EXPIRED = "expired"


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    cursor: str | None  # the idLessThan for the next page
    has_more: bool | None = None  # an explicit "more data" flag when the endpoint has one (spot plan)


# (id_less_than, limit, start_ms, end_ms, timeout_s) -> Page
FetchPage = Callable[[str | None, int, int, int, float], Page]
# -> (startTime, endTime) for the next request, or None when the range has nothing left to ask
Bounds = Callable[[], tuple[int, int] | None]


def end_of_data(page: Page, limit: int) -> bool:
    """True when no older page can hold data."""
    if not page.rows:
        return True
    # Spot plan history says whether more exists; trust a "no" only on a page that is not full.
    return page.has_more is False and len(page.rows) < limit


class Walker:
    """The cursor walk of one query over a time range; not shared between threads at the same time."""

    def __init__(
        self,
        fetch: FetchPage,
        bounds: Bounds,
        sizer: PageSizer,
        budget: TimeBudget,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch = fetch
        self.bounds = bounds
        self.sizer = sizer
        self.budget = budget
        self.monotonic = monotonic
        self.cursor: str | None = None
        self.pages = 0
        self.end: str | None = None

    @property
    def done(self) -> bool:
        return self.end is not None

    def step(self) -> Page | None:
        """Send the next request and return its page; None (with `end` set) when the walk is over."""
        if self.end is not None:
            return None
        window = self.bounds()
        if window is None:
            self.end = EXPIRED
            return None
        timeout_s = self.budget.request_timeout()
        if timeout_s is None:
            self.end = TIMEOUT
            return None
        limit = self.sizer.size
        started = self.monotonic()
        page = self.fetch(self.cursor, limit, window[0], window[1], timeout_s)
        self.sizer.record(self.monotonic() - started)
        self.pages += 1
        if end_of_data(page, limit):
            self.end = COMPLETE
        elif not page.cursor or page.cursor == self.cursor:
            self.end = CURSOR_STALLED
        else:
            self.cursor = page.cursor
        return page


def paginate(walker: Walker) -> Iterator[list[Any]]:
    """Yield the rows of every page, newest first; `walker.end` says why it stopped."""
    while (page := walker.step()) is not None:
        if page.rows:
            yield page.rows


# ---- per-endpoint adapters: each family's response shape as a Page ------------------------------------------


def _last_valid_id(rows: list[Any], id_field: str = "orderId") -> str | None:
    """The id of the oldest row that has a usable one (a malformed last row must not end the walk)."""
    for row in reversed(rows):
        if row_problem(row, id_field) is None:
            return str(row[id_field]).strip()
    return None


def spot_fetcher(client: Any, symbol: str | None, tpsl_type: str) -> FetchPage:
    """Spot history (normal or tpsl): a bare array (or null); the cursor is the last row's orderId."""

    def fetch(cursor: str | None, limit: int, start_ms: int, end_ms: int, timeout_s: float) -> Page:
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
        return Page(rows, _last_valid_id(rows))

    return fetch


def spot_plan_fetcher(client: Any, symbol: str) -> FetchPage:
    """Spot plan history: `{nextFlag, idLessThan, orderList}` (orderList may be null)."""

    def fetch(cursor: str | None, limit: int, start_ms: int, end_ms: int, timeout_s: float) -> Page:
        data = client.spot_plan_history(
            symbol,
            start_ms=start_ms,
            end_ms=end_ms,
            id_less_than=cursor,
            limit=limit,
            timeout_s=timeout_s,
        )
        data = data or {}
        rows = list(data.get("orderList") or [])
        has_more = next_flag(data.get("nextFlag"))  # None (not sent): unknown, the walk goes on
        return Page(rows, data.get("idLessThan") or _last_valid_id(rows), has_more)

    return fetch


def futures_fetcher(
    client: Any, product_type: str, symbol: str | None, plan_type: str | None = None
) -> FetchPage:
    """Futures order history, or with `plan_type` one planType of plan history: both answer
    `{entrustedList, endId}` (either may be null); endId is the next cursor, else the last row's orderId."""

    def fetch(cursor: str | None, limit: int, start_ms: int, end_ms: int, timeout_s: float) -> Page:
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
        rows = list(data.get("entrustedList") or [])
        return Page(rows, data.get("endId") or _last_valid_id(rows))

    return fetch


def spot_fills_fetcher(client: Any, symbol: str) -> FetchPage:
    """Spot fills of one symbol: a bare array (or null); the cursor is the last row's tradeId."""

    def fetch(cursor: str | None, limit: int, start_ms: int, end_ms: int, timeout_s: float) -> Page:
        rows = client.spot_fills(
            symbol, start_ms=start_ms, end_ms=end_ms, id_less_than=cursor, limit=limit, timeout_s=timeout_s
        )
        rows = list(rows or [])
        return Page(rows, _last_valid_id(rows, "tradeId"))

    return fetch


def futures_fills_fetcher(client: Any, product_type: str, symbol: str | None) -> FetchPage:
    """A product type's fill history: `{fillList, endId}` (either may be null); endId is the next cursor,
    else the last row's tradeId."""

    def fetch(cursor: str | None, limit: int, start_ms: int, end_ms: int, timeout_s: float) -> Page:
        data = client.futures_fill_history(
            product_type,
            symbol=symbol,
            start_ms=start_ms,
            end_ms=end_ms,
            id_less_than=cursor,
            limit=limit,
            timeout_s=timeout_s,
        )
        rows = list((data or {}).get("fillList") or [])
        return Page(rows, (data or {}).get("endId") or _last_valid_id(rows, "tradeId"))

    return fetch


def uta_fetcher(client: Any, category: str, symbol: str | None, *, fills: bool) -> FetchPage:
    """A v3 history (orders, or with `fills` fills) of one category: `{list, cursor}` (either may be null).

    The rows get the v2 names the pipeline sorts and dedupes on (uta_record). A null cursor says nothing older
    exists: the walk ends on a short page, and on a full one goes on from the last row's id, because only an
    empty page proves the end (BITGET_API.md §10a)."""
    id_field = record_id_field(uta_stream(category, fills))
    method = client.uta_fills if fills else client.uta_history_orders

    def fetch(cursor: str | None, limit: int, start_ms: int, end_ms: int, timeout_s: float) -> Page:
        data = method(
            category,
            symbol=symbol,
            start_ms=start_ms,
            end_ms=end_ms,
            cursor=cursor,
            limit=limit,
            timeout_s=timeout_s,
        )
        data = data or {}
        rows = [uta_record(row, fills=fills) for row in data.get("list") or []]
        next_cursor = data.get("cursor")
        if next_cursor in (None, ""):
            return Page(rows, _last_valid_id(rows, id_field), has_more=False)
        return Page(rows, str(next_cursor))

    return fetch


def uta_record(row: Any, *, fills: bool) -> Any:
    """A v3 row with the pipeline's names beside Bitget's own (docs/CONTRACTS.md): `cTime`/`uTime` copied from
    `createdTime`/`updatedTime`, and for a fill `tradeId` from `execId`. Nothing Bitget sent is changed."""
    if not isinstance(row, dict):
        return row  # rejected, with its reason, by the shard
    for alias, field in UTA_TIME_ALIASES:
        if field in row and alias not in row:
            row[alias] = row[field]
    if fills and "execId" in row and "tradeId" not in row:
        row["tradeId"] = row["execId"]
    return row
