"""Smoke run against a running server: health, info, symbols, POST /orders for two demo symbols, poll to
SUCCEEDED with the orders saved, one database page. Exits non-zero on the first failure.

    python scripts/test_app.py [--base-url http://127.0.0.1:8000] [--symbols BTCUSDT ETHUSDT] [--timeout 120]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import requests


class SmokeFailure(Exception):
    pass


def call(session: requests.Session, method: str, url: str, expect: int, **kwargs: Any) -> dict[str, Any]:
    response = session.request(method, url, timeout=30, **kwargs)
    if response.status_code != expect:
        raise SmokeFailure(
            f"{method} {url}: HTTP {response.status_code} (expected {expect}): {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


def poll_until_saved(session: requests.Session, url: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = call(session, "GET", url, 200)
        if status["status"] not in ("RUNNING", "SUCCEEDED"):
            raise SmokeFailure(
                f"execution ended {status['status']}: {status.get('error')} {status.get('cause')}"
            )
        if status["status"] == "SUCCEEDED" and status.get("database_info", {}).get("state") == "saved":
            return status
        time.sleep(0.5)
    raise SmokeFailure(f"not SUCCEEDED and saved within {timeout_s:.0f}s")


def run(base: str, symbols: list[str], timeout_s: float) -> None:
    session = requests.Session()
    step = lambda text: print(f"[smoke] {text}", flush=True)  # noqa: E731
    step(f"health: {call(session, 'GET', f'{base}/health', 200)['status']}")
    modes = call(session, "GET", f"{base}/info", 200)["modes"]
    step(f"info: {modes}")
    step(f"symbols: {call(session, 'GET', f'{base}/symbols', 200)['total_count']} listed")
    started = call(session, "POST", f"{base}/orders", 202, json={"symbols": symbols})
    arn = started["executionArn"]
    step(f"started {arn}")
    status = poll_until_saved(session, f"{base}/orders/{arn}", timeout_s)
    saved = status["database_info"]["orders_in_db"]
    total = status["result"]["summary"]["total_orders"]
    step(f"SUCCEEDED: {total} orders, {saved} in the database")
    if saved != total:
        raise SmokeFailure(f"database holds {saved} orders, the result says {total}")
    page = call(session, "GET", f"{base}/orders/{arn}/database", 200, params={"limit": 5})
    step(f"database page: {page['pagination']['returned_count']} of {page['pagination']['total_orders']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--symbols", nargs="+", default=["BTCUSDT", "ETHUSDT"])
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    try:
        run(args.base_url.rstrip("/"), args.symbols, args.timeout)
    except (SmokeFailure, requests.RequestException) as exc:
        print(f"[smoke] FAILED: {exc}", file=sys.stderr)
        return 1
    print("[smoke] OK", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
