"""Unified accounts (v3) and fills in the worker: spans, cursors, null lists, the records, the 40085 gate.

The doubles answer with Bitget's documented shapes (BITGET_API.md §11, §12): v3 pages `{list, cursor}` (either
may be null), futures fill history `{fillList, endId}`, spot fills a bare array.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from lambda_functions.common.bitget import BitgetAPIError
from lambda_functions.common.timewindow import DAY_MS
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.extraction import extract_symbol
from tests.worker.conftest import make_run
from tests.worker.fakes import FakeClient, FakeClock

NOW = FakeClock().wall_ms()
ALL_MARKETS = {m: {"BTCUSDT"} for m in ("spot", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")}


def v3_order(order_id: int, created: int, category: str = "SPOT") -> dict[str, Any]:
    return {
        "orderId": str(order_id),
        "category": category,
        "symbol": "BTCUSDT",
        "qty": "0.5",
        "cumExecQty": "0.5",
        "avgPrice": "64000.1",
        "orderStatus": "filled",
        "feeDetail": [{"feeCoin": "USDT", "fee": "0.032"}],
        "createdTime": str(created),
        "updatedTime": str(created + 10),
    }


def v3_fill(exec_id: int, created: int, category: str = "SPOT") -> dict[str, Any]:
    return {
        "execId": str(exec_id),
        "orderId": str(exec_id // 10),
        "category": category,
        "symbol": "BTCUSDT",
        "execPrice": "64000.1",
        "execQty": "0.25",
        "feeDetail": [{"feeCoin": "USDT", "fee": "0.016"}],
        "createdTime": str(created),
        "updatedTime": str(created),
    }


class UtaClient(FakeClient):
    """A unified account: v3 history per category with Bitget's cursor (exclusive, newest first), a null list
    and cursor at the end, a null cursor on the page holding the oldest row; v2 private endpoints answer 40085."""

    def __init__(self, orders: dict[str, list[dict]], fills: dict[str, list[dict]] | None = None) -> None:
        super().__init__(listed=ALL_MARKETS)
        self.v3_orders, self.v3_fills = orders, fills or {}
        self.v3_calls: list[tuple[str, dict[str, Any]]] = []

    def uta_settings(self, timeout_s: float | None = None) -> dict:
        return {"uid": "42", "accountMode": "unified"}

    def _v3(self, kind: str, rows_of: dict, category: str, symbol, start_ms, end_ms, cursor, limit) -> dict:
        self.stats.requests += 1
        self.v3_calls.append(
            (kind, {"category": category, "start": start_ms, "end": end_ms, "cursor": cursor})
        )
        assert end_ms - start_ms <= 30 * DAY_MS, "Bitget answers 00001 beyond 30 days"
        key = "execId" if kind == "fills" else "orderId"
        rows = [
            row
            for row in rows_of.get(category, [])
            if start_ms <= int(row["createdTime"]) <= end_ms
            and (symbol is None or row["symbol"] == symbol)
            and (cursor is None or int(row[key]) < int(cursor))
        ]
        rows.sort(key=lambda row: int(row[key]), reverse=True)
        page = [dict(row) for row in rows[:limit]]
        if not page:
            return {"list": None, "cursor": None}
        more = len(rows) > limit
        return {"list": page, "cursor": page[-1][key] if more else None}

    def uta_history_orders(
        self, category, *, symbol=None, start_ms, end_ms, cursor=None, limit=100, timeout_s=None
    ):
        return self._v3("orders", self.v3_orders, category, symbol, start_ms, end_ms, cursor, limit)

    def uta_fills(self, category, *, symbol=None, start_ms, end_ms, cursor=None, limit=100, timeout_s=None):
        return self._v3("fills", self.v3_fills, category, symbol, start_ms, end_ms, cursor, limit)

    def _page(self, *args, **kwargs):
        self.stats.requests += 1
        raise BitgetAPIError(
            "40085", "You are in Unified Account mode, and the Classic Account API is not supported", 400
        )


def _orders_file(store, summary) -> list[dict]:
    with store.reader(summary["orders_key"]) as fh:
        return json.load(fh)["orders"]


def test_a_60_day_window_on_v3_is_asked_in_30_day_requests_that_cover_it(store):
    orders = {"SPOT": [v3_order(5_000 + i, NOW - i * DAY_MS) for i in range(60)]}
    client = UtaClient(orders)
    request = WorkerRequest("BTCUSDT", "e", start_ms=NOW - 60 * DAY_MS, end_ms=NOW, account_mode="unified")
    summary = extract_symbol(request, make_run(client, store))
    spans = sorted((c["start"], c["end"]) for kind, c in client.v3_calls if c["category"] == "SPOT")
    assert len({span for span in spans}) == 3  # 60 days (+ the query's 1 ms margins) in 30-day requests
    assert all(end - start <= 30 * DAY_MS for start, end in spans)
    distinct = sorted(set(spans))
    assert distinct[0][0] <= NOW - 60 * DAY_MS and distinct[-1][1] >= NOW  # the whole window
    assert all(later[0] <= earlier[1] + 1 for earlier, later in pairwise(distinct))
    assert summary["complete"] and summary["orders"] == 60


def test_uta_records_keep_every_v3_field_and_gain_the_pipeline_names(store):
    created = NOW - DAY_MS
    client = UtaClient(
        {"USDT-FUTURES": [v3_order(77, created, "USDT-FUTURES")]}, {"SPOT": [v3_fill(991, created)]}
    )
    request = WorkerRequest("BTCUSDT", "e", account_mode="unified", include_fills=True)
    summary = extract_symbol(request, make_run(client, store))
    by_stream = {row["stream"]: row for row in _orders_file(store, summary)}
    assert set(by_stream) == {"uta_USDT-FUTURES", "uta_SPOT_fills"}
    order = by_stream["uta_USDT-FUTURES"]
    assert order == v3_order(77, created, "USDT-FUTURES") | {
        "stream": "uta_USDT-FUTURES",
        "cTime": str(created),
        "uTime": str(created + 10),
    }
    fill = by_stream["uta_SPOT_fills"]
    assert fill == v3_fill(991, created) | {
        "stream": "uta_SPOT_fills",
        "tradeId": "991",
        "cTime": str(created),
        "uTime": str(created),
    }
    assert (summary["orders"], summary["fills"], summary["account_mode"]) == (1, 1, "unified")


def test_null_lists_and_a_null_cursor_end_a_stream_as_complete_and_full_pages_go_on(store):
    # 250 orders: pages of 100, 100 (cursor), 50 (null cursor: the oldest row is on it)
    orders = {"MARGIN": [v3_order(10_000 + i, NOW - 1000 - i, "MARGIN") for i in range(250)]}
    client = UtaClient(orders)
    request = WorkerRequest("BTCUSDT", "e", start_ms=NOW - 10 * DAY_MS, account_mode="unified")  # one slice
    summary = extract_symbol(request, make_run(client, store))
    margin = [c for kind, c in client.v3_calls if c["category"] == "MARGIN"]
    assert [c["cursor"] for c in margin] == [None, "10150", "10050"]  # a short page with no cursor: the end
    assert summary["complete"] and summary["orders"] == 250
    assert len({row["orderId"] for row in _orders_file(store, summary)}) == 250
    # a category with nothing: one request, `{"list": null, "cursor": null}`, complete
    assert [c["cursor"] for _, c in client.v3_calls if c["category"] == "USDT-FUTURES"] == [None]


def test_a_full_page_without_a_cursor_is_not_the_end(store):
    rows = [v3_order(20_000 + i, NOW - 1000 - i) for i in range(150)]

    class NoCursor(UtaClient):
        def _v3(self, kind, rows_of, *args):
            page = super()._v3(kind, rows_of, *args)
            return {"list": page["list"], "cursor": None}  # Bitget leaves the cursor out

    client = NoCursor({"SPOT": rows})
    request = WorkerRequest("BTCUSDT", "e", start_ms=NOW - 10 * DAY_MS, account_mode="unified")
    summary = extract_symbol(request, make_run(client, store))
    spot = [c["cursor"] for kind, c in client.v3_calls if c["category"] == "SPOT"]
    assert spot == [None, "20050"]  # went on from the full page's last id; the short page ended it
    assert summary["complete"] and summary["orders"] == 150


def test_40085_on_v2_for_a_unified_account_is_never_zero_orders_complete(store):
    # the mode came wrong (a stale event): every classic stream is refused, and says so with Bitget's code
    client = UtaClient({"SPOT": [v3_order(1, NOW - 5)]})
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e", account_mode="classic"), make_run(client, store))
    assert summary["complete"] is False and summary["orders"] == 0
    detail = store.get_json(summary["detail_key"])
    refused = [s for s in detail["streams"].values() if s["error_code"] == "40085"]
    assert refused and all(not s["complete"] for s in refused)
    assert "Unified Account mode" in refused[0]["error_message"]


def test_without_a_mode_the_worker_probes_and_pages_the_unified_endpoints(store):
    client = UtaClient({"SPOT": [v3_order(3, NOW - 5)]})
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e"), make_run(client, store))
    assert (summary["complete"], summary["orders"], summary["account_mode"]) == (True, 1, "unified")


class FillsClient(FakeClient):
    """A classic account with fills: spot fills need the symbol; futures fill history spans at most 7 days."""

    def __init__(self, spot: list[dict], futures: list[dict]) -> None:
        super().__init__(listed=ALL_MARKETS)
        self.spot, self.futures = spot, futures
        self.fill_calls: list[tuple[str, int, int, str | None]] = []

    def _select(self, rows, start_ms, end_ms, id_less_than, limit):
        rows = [
            r
            for r in rows
            if start_ms <= int(r["cTime"]) <= end_ms
            and (id_less_than is None or int(r["tradeId"]) < int(id_less_than))
        ]
        rows.sort(key=lambda r: int(r["tradeId"]), reverse=True)
        return [dict(r) for r in rows[:limit]]

    def spot_fills(self, symbol, *, start_ms, end_ms, id_less_than=None, limit=100, timeout_s=None):
        self.fill_calls.append(("spot", start_ms, end_ms, id_less_than))
        assert symbol == "BTCUSDT"
        return self._select(self.spot, start_ms, end_ms, id_less_than, limit)

    def futures_fill_history(
        self, product_type, *, symbol=None, start_ms, end_ms, id_less_than=None, limit=100, timeout_s=None
    ):
        self.fill_calls.append((product_type, start_ms, end_ms, id_less_than))
        assert end_ms - start_ms <= 7 * DAY_MS, "Bitget answers 00001 beyond 7 days"
        rows = self._select(
            self.futures if product_type == "USDT-FUTURES" else [], start_ms, end_ms, id_less_than, limit
        )
        return {"fillList": rows or None, "endId": rows[-1]["tradeId"] if rows else None}


def test_classic_fills_are_paged_in_their_own_streams_with_their_span_rules(store):
    spot = [
        {"tradeId": str(900 + i), "orderId": "1", "symbol": "BTCUSDT", "cTime": str(NOW - i * DAY_MS)}
        for i in range(30)
    ]
    futures = [
        {"tradeId": str(700 + i), "orderId": "2", "symbol": "BTCUSDT", "cTime": str(NOW - i * DAY_MS)}
        for i in range(30)
    ]
    client = FillsClient(spot, futures)
    request = WorkerRequest("BTCUSDT", "e", start_ms=NOW - 30 * DAY_MS + 1, end_ms=NOW, include_fills=True)
    summary = extract_symbol(request, make_run(client, store))
    rows = _orders_file(store, summary)
    assert sorted(int(r["tradeId"]) for r in rows if r["stream"] == "spot_fills") == list(range(900, 930))
    assert sorted(int(r["tradeId"]) for r in rows if r["stream"] == "USDT-FUTURES_fills") == list(
        range(700, 730)
    )
    futures_spans = {(s, e) for pt, s, e, _ in client.fill_calls if pt == "USDT-FUTURES"}
    assert len(futures_spans) == 5  # 30 days in 7-day requests
    assert (summary["orders"], summary["fills"], summary["complete"]) == (0, 60, True)


def test_a_symbol_list_without_fills_pages_the_seeds_streams_only(store):
    client = FillsClient([], [])
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e"), make_run(client, store))
    assert client.fill_calls == [] and "fills" not in summary
