"""The server clock moves at run time (POST /sandbox/clock, advance_clock, set_clock_offset) and everything
time-dependent follows it: public/time, requestTime, retention, the ACCESS-TIMESTAMP window."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from lambda_functions.common.bitget.client import BitgetClient
from lambda_functions.common.bitget.credentials import Credentials
from lambda_functions.common.bitget.retry import RetryPolicy
from tests.sandbox.bitget_http import get

DAY = 86_400_000
SPOT = "/api/v2/spot/trade/history-orders"
PROFILE = {"days": 30, "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 50, "USDT-FUTURES": 50}}]}


def local_ms() -> int:
    return time.time_ns() // 1_000_000


def clock(server, body=None) -> requests.Response:
    url = f"{server.base_url}/sandbox/clock"
    return requests.post(url, json=body, timeout=5) if body is not None else requests.get(url, timeout=5)


def test_get_answers_now_and_offset(make_sandbox) -> None:
    server = make_sandbox(PROFILE, clock_offset_ms=5_000)
    answer = clock(server).json()
    assert set(answer) == {"now_ms", "offset_ms"}
    assert answer["offset_ms"] == 5_000
    assert abs(answer["now_ms"] - (local_ms() + 5_000)) < 2_000


def test_advance_and_offset_move_the_clock_over_http_and_in_process(make_sandbox) -> None:
    server = make_sandbox(PROFILE)
    moved = clock(server, {"advance_ms": 3 * DAY})
    assert moved.status_code == 200
    assert moved.json()["offset_ms"] == 3 * DAY
    assert abs(moved.json()["now_ms"] - (local_ms() + 3 * DAY)) < 2_000
    assert clock(server, {"advance_ms": DAY}).json()["offset_ms"] == 4 * DAY  # advances add up
    assert clock(server, {"offset_ms": -60_000}).json()["offset_ms"] == -60_000  # an offset replaces
    now = server.advance_clock(DAY)
    assert abs(now - (local_ms() + DAY - 60_000)) < 2_000
    assert abs(server.set_clock_offset(7) - (local_ms() + 7)) < 2_000
    assert clock(server).json()["offset_ms"] == 7 == server.app.clock.offset_ms


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"", "JSON object"),
        (b"not json", "not valid JSON"),
        (b"[1]", "JSON object"),
        (b"{}", "JSON object"),
        (b'{"advance_ms": -1}', "advance_ms"),
        (b'{"advance_ms": 1.5}', "advance_ms"),
        (b'{"advance_ms": "10"}', "advance_ms"),
        (b'{"advance_ms": true}', "advance_ms"),
        (b'{"offset_ms": null}', "offset_ms"),
        (b'{"advance_ms": 1, "offset_ms": 2}', "one field"),
        (b'{"speed": 2}', "unknown clock field"),
    ],
)
def test_bad_clock_bodies_get_400_with_a_message_and_change_nothing(make_sandbox, body, needle) -> None:
    server = make_sandbox(PROFILE, clock_offset_ms=11)
    answer = requests.post(f"{server.base_url}/sandbox/clock", data=body, timeout=5)
    assert answer.status_code == 400
    assert needle in answer.json()["error"]
    assert server.app.clock.offset_ms == 11


def test_in_process_methods_refuse_bad_values(make_sandbox) -> None:
    server = make_sandbox(PROFILE)
    with pytest.raises(ValueError, match="advance_ms"):
        server.advance_clock(-5)
    with pytest.raises(ValueError, match="offset_ms"):
        server.set_clock_offset(1.5)
    assert server.app.clock.offset_ms == 0


def test_concurrent_advances_are_never_lost(make_sandbox) -> None:
    server = make_sandbox(PROFILE)

    def advance() -> None:
        for _ in range(500):
            server.advance_clock(1)

    threads = [threading.Thread(target=advance) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.app.clock.offset_ms == 4_000


def test_time_request_time_retention_and_auth_follow_a_jump(make_sandbox) -> None:
    server = make_sandbox(PROFILE, enforce_rate_limits=False)
    server.advance_clock(30 * DAY)
    server_time = int(get(server, "/api/v2/public/time", signed=False).json()["data"]["serverTime"])
    assert abs(server_time - (local_ms() + 30 * DAY)) < 2_000
    # Signed with the local clock: 30 days off the server's, refused.
    stale = get(server, SPOT, {"limit": 1})
    assert (stale.status_code, stale.json()["code"]) == (400, "40008")
    fresh = get(server, SPOT, {"limit": 1}, offset_ms=30 * DAY).json()
    assert fresh["code"] == "00000"
    assert abs(fresh["requestTime"] - (local_ms() + 30 * DAY)) < 2_000
    # Retention is measured on the moved clock: 85 days back from the local clock is now 115 days back.
    old = {"startTime": local_ms() - 85 * DAY, "endTime": local_ms()}
    assert get(server, SPOT, old, offset_ms=30 * DAY).json()["code"] == "40704"


def test_the_projects_client_keeps_working_after_the_clock_jumps_30_days(make_sandbox) -> None:
    """The project's client learns the offset from public/time, and on 40008 re-learns it and repeats once."""
    server = make_sandbox(PROFILE, enforce_rate_limits=False)
    creds = server.credentials
    client = BitgetClient(
        server.base_url,
        Credentials(creds.api_key, creds.api_secret, creds.passphrase),
        retry=RetryPolicy(retries=1, base_delay_s=0.01, max_delay_s=0.02),
        timeout_s=5.0,
    )
    with client:
        before = client.spot_history_orders("BTCUSDT", limit=100)
        assert len(before) == 50
        server.advance_clock(30 * DAY)
        # The learned offset is now 30 days stale: the first signed request gets 40008 and is repeated.
        after = client.spot_history_orders("BTCUSDT", limit=100)
        assert [row["orderId"] for row in after] == [row["orderId"] for row in before]
        assert abs(client.server_now_ms() - server.now_ms()) < 2_000
        futures = client.futures_history_orders("USDT-FUTURES", symbol="BTCUSDT")
        assert len(futures["entrustedList"]) == 50
    endpoints = server.stats()["endpoints"]
    assert endpoints[SPOT]["status"] == {"200": 2, "400": 1}  # one 40008, repeated after the re-learn
    assert endpoints["/api/v2/public/time"]["requests"] >= 1  # it learned the new offset from public/time
