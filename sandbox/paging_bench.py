"""How fast the sandbox serves history pages: `python -m sandbox.paging_bench [--open-share 0.05 ...]`.

Crawls the bench profile's account-wide streams (spot normal and TP/SL, USDT futures, their normal plans) to the
end with idLessThan, first by calling the endpoint handlers in-process (best of `--runs`), then over HTTP with
keep-alive against a SandboxServer without rate limits (best of `--runs`, after one warm-up crawl). With
`--future-days` / `--open-share` the bench profile gets orders after the anchor and late finishes, so pages
skip open orders (the slower path); without them it is the all-finished fast path. One JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from sandbox import endpoints
from sandbox.auth import prehash, sign
from sandbox.history import Account
from sandbox.profiles import load_profile
from sandbox.server import SandboxServer

BENCH_PROFILE = Path(__file__).parent / "profiles" / "bench.json"
QUERIES: list[tuple[str, Callable[..., Any], dict[str, str]]] = [
    ("/api/v2/spot/trade/history-orders", endpoints.spot_history_orders, {}),
    ("/api/v2/spot/trade/history-orders", endpoints.spot_history_orders, {"tpslType": "tpsl"}),
    ("/api/v2/mix/order/orders-history", endpoints.futures_history, {"productType": "USDT-FUTURES"}),
    (
        "/api/v2/mix/order/orders-plan-history",
        endpoints.futures_plan_history,
        {"productType": "USDT-FUTURES", "planType": "normal_plan"},
    ),
]


def rows_of(data: Any) -> list[dict[str, Any]]:
    if data is None or isinstance(data, list):
        return data or []
    return data.get("entrustedList") or []


def crawl(fetch: Callable[[str, Callable[..., Any], dict[str, str]], Any]) -> tuple[int, int]:
    """(pages, rows) of every query paged to its empty page."""
    pages = rows = 0
    for path, handler, base in QUERIES:
        cursor = None
        while True:
            page = rows_of(fetch(path, handler, {**base, **({"idLessThan": cursor} if cursor else {})}))
            pages, rows = pages + 1, rows + len(page)
            if not page:
                break
            cursor = page[-1]["orderId"]
    return pages, rows


def best_of(runs: int, work: Callable[[], tuple[int, int]]) -> tuple[float, int, int]:
    best, pages, rows = float("inf"), 0, 0
    for _ in range(runs):
        began = time.perf_counter()
        pages, rows = work()
        best = min(best, time.perf_counter() - began)
    return best, pages, rows


def http_fetcher(server: SandboxServer, session: requests.Session) -> Callable[..., Any]:
    creds = server.credentials

    def fetch(path: str, handler: Callable[..., Any], params: dict[str, str]) -> Any:
        query = urlencode(sorted(params.items()))
        stamp = str(server.now_ms())
        headers = {
            "ACCESS-KEY": creds.api_key,
            "ACCESS-SIGN": sign(creds.api_secret, prehash(stamp, "GET", path, query, "")),
            "ACCESS-TIMESTAMP": stamp,
            "ACCESS-PASSPHRASE": creds.passphrase,
        }
        url = f"{server.base_url}{path}" + (f"?{query}" if query else "")
        return session.get(url, headers=headers, timeout=30).json()["data"]

    return fetch


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--future-days", type=float, default=0.0)
    parser.add_argument("--open-share", type=float, default=0.0)
    args = parser.parse_args(argv)
    raw = json.loads(BENCH_PROFILE.read_text())
    profile = load_profile({**raw, "future_days": args.future_days, "open_share": args.open_share})
    with SandboxServer(profile, enforce_rate_limits=False) as server:
        account: Account = server.app.account
        now = server.now_ms
        in_process = best_of(args.runs, lambda: crawl(lambda p, h, q: h(account, q, now())))
        with requests.Session() as session:
            fetch = http_fetcher(server, session)
            crawl(fetch)  # warm-up: the first crawl also opens the connection
            over_http = best_of(args.runs, lambda: crawl(fetch))
    result = {
        "bench": "sandbox_paging",
        "profile": "bench",
        "future_days": args.future_days,
        "open_share": args.open_share,
        "pages": in_process[1],
        "rows": in_process[2],
        "in_process_pages_per_s": round(in_process[1] / in_process[0]),
        "http_pages_per_s": round(over_http[1] / over_http[0]),
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
