"""A server clock offset from the client's: time, requestTime, retention, data anchor, ACCESS-TIMESTAMP."""

from __future__ import annotations

import time

import pytest

from tests.sandbox.bitget_http import get, page_all

DAY = 86_400_000
SKEW = 120_000  # 2 minutes: beyond the 30 s ACCESS-TIMESTAMP window and the 60 s retention grace
SPOT = "/api/v2/spot/trade/history-orders"
MIX = "/api/v2/mix/order/orders-history"
PROFILE = {
    "days": 120,
    "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 400, "USDT-FUTURES": 300}}],
}


def local_ms() -> int:
    return time.time_ns() // 1_000_000


def server_offset(server) -> int:
    """What a careful client learns from /api/v2/public/time."""
    before = local_ms()
    server_time = int(get(server, "/api/v2/public/time", signed=False).json()["data"]["serverTime"])
    return server_time - (before + local_ms()) // 2


@pytest.mark.parametrize("offset", [SKEW, -SKEW])
def test_time_and_request_time_follow_the_server_clock(make_sandbox, offset) -> None:
    server = make_sandbox(PROFILE, clock_offset_ms=offset)
    assert abs(server_offset(server) - offset) < 2_000
    assert abs(server.now_ms() - (local_ms() + offset)) < 2_000
    spot = get(server, SPOT, {"limit": 1}, offset_ms=offset).json()
    futures = get(server, MIX, {"productType": "USDT-FUTURES"}, offset_ms=offset).json()
    assert abs(spot["requestTime"] - (local_ms() + offset)) < 2_000
    assert abs(int(futures["requestTime"]) - (local_ms() + offset)) < 2_000


@pytest.mark.parametrize("offset", [SKEW, -SKEW])
def test_a_client_signing_with_its_own_clock_gets_40008_and_one_using_server_time_works(
    make_sandbox, offset
) -> None:
    server = make_sandbox(PROFILE, clock_offset_ms=offset)
    local = get(server, SPOT, {"limit": 1})
    assert (local.status_code, local.json()["code"]) == (400, "40008")
    learned = server_offset(server)
    right = get(server, SPOT, {"limit": 1}, offset_ms=learned)
    assert right.json()["code"] == "00000"


def test_retention_is_measured_on_the_server_clock(make_sandbox) -> None:
    server = make_sandbox(PROFILE, clock_offset_ms=SKEW)
    # "now - 90 days .. now" on the client's clock starts 2 min before the server's retention edge.
    local = local_ms()
    naive = {"startTime": local - 90 * DAY, "endTime": local}
    assert get(server, SPOT, naive, offset_ms=SKEW).json()["code"] == "40704"
    start = server.now_ms() - 90 * DAY + 1_000
    assert get(server, SPOT, {"startTime": start}, offset_ms=SKEW).json()["code"] == "00000"
    behind = make_sandbox(PROFILE, clock_offset_ms=-SKEW)
    older = {"startTime": local_ms() - 90 * DAY - 30_000, "endTime": local_ms() - SKEW}
    assert get(behind, SPOT, older, offset_ms=-SKEW).json()["code"] == "00000"  # inside the server's 90 days


def test_data_is_anchored_on_the_server_clock_and_paging_matches_truth(make_sandbox) -> None:
    ahead = make_sandbox(PROFILE, seed=3, clock_offset_ms=SKEW)
    behind = make_sandbox(PROFILE, seed=3, clock_offset_ms=-SKEW)
    for server, offset in ((ahead, SKEW), (behind, -SKEW)):
        assert abs(server.anchor_ms - (local_ms() + offset)) < 5_000
        newest = server.app.account.stream_orders("BTCUSDT", "spot_normal")[0]
        assert int(newest["cTime"]) <= server.anchor_ms
    assert ahead.anchor_ms - behind.anchor_ms > 2 * SKEW - 5_000

    # A client that works in server time (as issue 8 asks) pages exactly the truth.
    now = ahead.now_ms()
    params = {"symbol": "BTCUSDT", "startTime": now - 90 * DAY, "endTime": now}
    ids = [row["orderId"] for row in page_all(ahead, SPOT, params, offset_ms=server_offset(ahead))]
    expected = [o["orderId"] for o in ahead.truth("BTCUSDT") if o["stream"] == "spot_normal"]
    assert len(expected) > 200
    assert ids == expected
