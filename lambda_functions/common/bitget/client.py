"""The Bitget REST client (v2 classic, v3 unified): one method per endpoint this project reads, each returning one page.

The request path (rate limits, signing, retries, typed errors, server time) is `BitgetTransport`
(`transport.py`); the pages' empty forms are normalised in `pages.py`. Paging is the caller's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from lambda_functions.common.bitget import endpoints, pages
from lambda_functions.common.bitget.transport import BitgetTransport

_Page = TypeVar("_Page")


def _paging(limit: int, start_ms: int | None = None, end_ms: int | None = None) -> dict[str, object]:
    """The page size (checked) and time window every paged endpoint takes; None values are not sent, and the
    query string is sorted by key, so where they stand in the dict does not matter."""
    return {"startTime": start_ms, "endTime": end_ms, "limit": pages.checked_limit(limit)}


class BitgetClient(BitgetTransport):
    """A thread-safe Bitget client. Construction does no network I/O."""

    def spot_symbols(self, symbol: str | None = None) -> list[dict]:
        """Spot pairs (all, or the one named)."""
        return pages.row_list(self.get(endpoints.SPOT_SYMBOLS, {"symbol": symbol}))

    def futures_contracts(self, product_type: str, symbol: str | None = None) -> list[dict]:
        """Futures contracts of one product type (all, or the one named)."""
        params = {"productType": product_type, "symbol": symbol}
        return pages.row_list(self.get(endpoints.FUTURES_CONTRACTS, params))

    def spot_history_orders(
        self,
        symbol: str | None,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        tpsl_type: str = "normal",
        timeout_s: float | None = None,
        order_id: str | None = None,
    ) -> list[dict]:
        """One page of spot order history, newest first; the next page's cursor is the last row's orderId.
        `order_id`: that one order (an incremental sync looks up the orders it saw open)."""
        params = {
            "orderId": order_id,
            "symbol": symbol,
            "idLessThan": id_less_than,
            "tpslType": tpsl_type,
        } | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.SPOT_HISTORY_ORDERS, params, timeout_s, pages.row_list)

    def spot_plan_history(
        self,
        symbol: str,
        *,
        start_ms: int,
        end_ms: int,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of spot plan history: {"nextFlag": bool, "idLessThan": str|None, "orderList": [...]}."""
        params = {"symbol": symbol, "idLessThan": id_less_than} | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.SPOT_PLAN_HISTORY, params, timeout_s, pages.spot_plan_page)

    def futures_history_orders(
        self,
        product_type: str,
        *,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
        order_id: str | None = None,
    ) -> dict:
        """One page of futures order history: {"entrustedList": [...], "endId": str|None}."""
        params = {
            "orderId": order_id,
            "productType": product_type,
            "symbol": symbol,
            "idLessThan": id_less_than,
        } | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.FUTURES_HISTORY_ORDERS, params, timeout_s, pages.futures_page)

    def futures_plan_history(
        self,
        product_type: str,
        plan_type: str,
        *,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
        order_id: str | None = None,
    ) -> dict:
        """One page of futures plan history for one planType: {"entrustedList": [...], "endId": str|None}."""
        params = {
            "orderId": order_id,
            "productType": product_type,
            "planType": plan_type,
            "symbol": symbol,
            "idLessThan": id_less_than,
        } | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.FUTURES_PLAN_HISTORY, params, timeout_s, pages.futures_page)

    # ---- open orders (BITGET_API.md §12): what an incremental sync must come back for ----------------------

    def spot_open_orders(
        self,
        *,
        symbol: str | None = None,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        tpsl_type: str = "normal",
        timeout_s: float | None = None,
    ) -> list[dict]:
        """One page of open spot orders (every symbol when `symbol` is None); cursor: the last orderId."""
        params = {"symbol": symbol, "idLessThan": id_less_than, "tpslType": tpsl_type} | _paging(limit)
        return self._signed_page(endpoints.SPOT_OPEN_ORDERS, params, timeout_s, pages.row_list)

    def spot_open_plans(
        self,
        *,
        symbol: str | None = None,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of current spot plan orders: {"nextFlag", "idLessThan", "orderList"} like plan history."""
        params = {"symbol": symbol, "idLessThan": id_less_than} | _paging(limit)
        return self._signed_page(endpoints.SPOT_OPEN_PLANS, params, timeout_s, pages.spot_plan_page)

    def futures_open_orders(
        self,
        product_type: str,
        *,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of a product type's pending orders: {"entrustedList": [...], "endId": str|None}."""
        params = {"productType": product_type, "idLessThan": id_less_than} | _paging(limit)
        return self._signed_page(endpoints.FUTURES_OPEN_ORDERS, params, timeout_s, pages.futures_page)

    def futures_open_plans(
        self,
        product_type: str,
        plan_type: str,
        *,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of a product type's pending plan orders of one planType (same shape as orders-pending)."""
        params = {"productType": product_type, "planType": plan_type, "idLessThan": id_less_than} | _paging(
            limit
        )
        return self._signed_page(endpoints.FUTURES_OPEN_PLANS, params, timeout_s, pages.futures_page)

    # ---- fills (BITGET_API.md §12): each execution of an order -----------------------------------------------

    def spot_fills(
        self,
        symbol: str,
        *,
        start_ms: int,
        end_ms: int,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> list[dict]:
        """One page of spot fills of one symbol (Bitget's main doc requires it), newest first; the next page's
        cursor is the last row's tradeId."""
        params = {"symbol": symbol, "idLessThan": id_less_than} | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.SPOT_FILLS, params, timeout_s, pages.row_list)

    def futures_fill_history(
        self,
        product_type: str,
        *,
        symbol: str | None = None,
        start_ms: int,
        end_ms: int,
        id_less_than: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of a product type's fills (at most 7 days per request): {"fillList": [...], "endId"}."""
        params = {"productType": product_type, "symbol": symbol, "idLessThan": id_less_than} | _paging(
            limit, start_ms, end_ms
        )
        return self._signed_page(endpoints.FUTURES_FILL_HISTORY, params, timeout_s, pages.fill_page)

    # ---- Unified Trading Account, v3 (BITGET_API.md §11) --------------------------------------------------

    def uta_settings(self, timeout_s: float | None = None) -> dict:
        """The account's UTA settings (`uid`, `accountMode`...); a classic account answers 40084."""
        return dict(self.get(endpoints.UTA_SETTINGS, {}, signed=True, timeout_s=timeout_s) or {})

    def uta_history_orders(
        self,
        category: str,
        *,
        symbol: str | None = None,
        start_ms: int,
        end_ms: int,
        cursor: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of a category's order history (at most 30 days per request): {"list": [...], "cursor"}."""
        params = {"category": category, "symbol": symbol, "cursor": cursor} | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.UTA_HISTORY_ORDERS, params, timeout_s, pages.cursor_page)

    def uta_fills(
        self,
        category: str,
        *,
        symbol: str | None = None,
        start_ms: int,
        end_ms: int,
        cursor: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of a category's fills (at most 30 days per request): {"list": [...], "cursor"}."""
        params = {"category": category, "symbol": symbol, "cursor": cursor} | _paging(limit, start_ms, end_ms)
        return self._signed_page(endpoints.UTA_FILLS, params, timeout_s, pages.cursor_page)

    def uta_open_orders(
        self,
        *,
        category: str | None = None,
        cursor: str | None = None,
        limit: int = pages.MAX_PAGE_LIMIT,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of the account's open orders (every category when None): {"list": [...], "cursor"}."""
        params = {"category": category, "cursor": cursor} | _paging(limit)
        return self._signed_page(endpoints.UTA_OPEN_ORDERS, params, timeout_s, pages.cursor_page)

    def _signed_page(
        self, path: str, params: dict[str, object], timeout_s: float | None, shape: Callable[[Any], _Page]
    ) -> _Page:
        """One signed GET of a page, in the endpoint's normalised shape (pages.py)."""
        return shape(self.get(path, params, signed=True, timeout_s=timeout_s))
