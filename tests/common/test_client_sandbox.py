"""BitgetClient against the sandbox exchange over loopback: endpoints, paging, auth, rate limits, faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetClient,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
    Credentials,
    RateLimiter,
    RetryPolicy,
    Ticket,
)
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.streams import FUTURES_PLAN_TYPES, FUTURES_PRODUCT_TYPES
from lambda_functions.common.timewindow import DAY_MS
from sandbox import Credentials as SandboxCredentials
from sandbox import SandboxServer
from sandbox import app as sandbox_app

pytestmark = pytest.mark.sandbox


DEFAULTS = SandboxCredentials()
GOOD = Credentials(DEFAULTS.api_key, DEFAULTS.api_secret, DEFAULTS.passphrase)


def client_for(server: SandboxServer, credentials: Credentials | None = GOOD, **kwargs: Any) -> BitgetClient:
    kwargs.setdefault("retry", RetryPolicy(retries=2, base_delay_s=0.01, max_delay_s=0.05))
    kwargs.setdefault("timeout_s", 5.0)
    return BitgetClient(server.base_url, credentials, **kwargs)


def window() -> tuple[int, int]:
    """The last 89 days: inside Bitget's 90-day span and retention rules."""
    end = int(time.time() * 1000)
    return end - 89 * DAY_MS, end


# ---- a minimal pager (the worker has the real one): every stream of a symbol, to the end ------------------


def _pages(fetch: Callable[[str | None], tuple[list[dict], str | None, bool]]) -> Iterator[dict]:
    cursor: str | None = None
    while True:
        rows, cursor, more = fetch(cursor)
        yield from rows
        if not more or not rows or cursor is None:
            return


def _spot(client: BitgetClient, symbol: str, tpsl: str, start: int, end: int) -> Iterator[dict]:
    def fetch(cursor: str | None) -> tuple[list[dict], str | None, bool]:
        rows = client.spot_history_orders(
            symbol, start_ms=start, end_ms=end, id_less_than=cursor, tpsl_type=tpsl
        )
        return rows, rows[-1]["orderId"] if rows else None, len(rows) == 100

    return _pages(fetch)


def _spot_plan(client: BitgetClient, symbol: str, start: int, end: int) -> Iterator[dict]:
    def fetch(cursor: str | None) -> tuple[list[dict], str | None, bool]:
        page = client.spot_plan_history(symbol, start_ms=start, end_ms=end, id_less_than=cursor)
        return page["orderList"], page["idLessThan"], page["nextFlag"]

    return _pages(fetch)


def _futures(client: BitgetClient, product: str, plan: str | None, symbol: str, start: int, end: int):
    def fetch(cursor: str | None) -> tuple[list[dict], str | None, bool]:
        if plan is None:
            page = client.futures_history_orders(
                product, symbol=symbol, start_ms=start, end_ms=end, id_less_than=cursor
            )
        else:
            page = client.futures_plan_history(
                product, plan, symbol=symbol, start_ms=start, end_ms=end, id_less_than=cursor
            )
        return page["entrustedList"], page["endId"], len(page["entrustedList"]) == 100

    return _pages(fetch)


def fetch_everything(client: BitgetClient, symbol: str, start: int, end: int) -> list[dict]:
    """Every order of `symbol` in [start, end], each tagged with its stream (docs/CONTRACTS.md)."""
    found = [{**o, "stream": "spot_normal"} for o in _spot(client, symbol, "normal", start, end)]
    found += [{**o, "stream": "spot_tpsl"} for o in _spot(client, symbol, "tpsl", start, end)]
    found += [{**o, "stream": "spot_plan"} for o in _spot_plan(client, symbol, start, end)]
    for product in FUTURES_PRODUCT_TYPES:
        try:
            client.futures_contracts(product, symbol)
        except BitgetAPIError as error:
            if error.code != "40034":  # 40034: not listed in this product type, nothing to page
                raise
            continue
        found += [{**o, "stream": product} for o in _futures(client, product, None, symbol, start, end)]
        for plan in FUTURES_PLAN_TYPES:
            rows = _futures(client, product, plan, symbol, start, end)
            found += [{**o, "stream": f"{product}_plan"} for o in rows]
    return found


def by_identity(orders: list[dict]) -> dict[tuple[str, str], dict]:
    keyed = {(o["stream"], o["orderId"]): o for o in orders}
    assert len(keyed) == len(orders), "an order came back twice"
    return keyed


# ---- endpoints -------------------------------------------------------------------------------------------


def test_public_endpoints(sandbox: SandboxServer) -> None:
    client = client_for(sandbox, credentials=None)
    assert abs(client.server_time_ms() - time.time() * 1000) < 60_000
    symbols = {row["symbol"] for row in client.spot_symbols()}
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT"} <= symbols
    assert [row["symbol"] for row in client.spot_symbols("ETHUSDT")] == ["ETHUSDT"]
    contracts = client.futures_contracts("USDT-FUTURES")
    assert "BTCUSDT" in {row["symbol"] for row in contracts}
    assert client.stats.snapshot()["per_path"] == {
        ep.SERVER_TIME: 1,
        ep.SPOT_SYMBOLS: 2,
        ep.FUTURES_CONTRACTS: 1,
    }


def test_paging_every_stream_to_the_end_equals_the_truth(sandbox: SandboxServer) -> None:
    client = client_for(sandbox)
    start, end = window()
    for symbol in ("SOLUSDT", "XRPUSDT"):
        fetched = fetch_everything(client, symbol, start, end)
        truth = sandbox.truth(symbol, start, end)
        assert truth, "the profile has orders for this symbol"
        assert by_identity(fetched) == by_identity(truth)
    assert client.stats.snapshot()["retries"] == 0


def test_unknown_symbol_is_40034_at_once(sandbox: SandboxServer) -> None:
    client = client_for(sandbox)
    with pytest.raises(BitgetAPIError) as caught:
        client.spot_history_orders("BTCUSDT_UMCBL")
    assert (caught.value.code, caught.value.http_status) == ("40034", 400)
    assert client.stats.snapshot()["requests"] == 1


@pytest.mark.parametrize("symbol", ["$ALTUSDT", "A B&C=D+E"])
def test_the_signed_query_is_the_one_on_the_wire(sandbox: SandboxServer, symbol: str) -> None:
    # A signature mismatch would be 40009; reaching the symbol check proves the server verified our bytes.
    with pytest.raises(BitgetAPIError) as caught:
        client_for(sandbox).spot_history_orders(symbol)
    assert caught.value.code == "40034"


# ---- authentication --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (Credentials("", DEFAULTS.api_secret, DEFAULTS.passphrase), "40001"),
        (Credentials("no-such-key", DEFAULTS.api_secret, DEFAULTS.passphrase), "40037"),
        (Credentials(DEFAULTS.api_key, DEFAULTS.api_secret, ""), "40011"),
        (Credentials(DEFAULTS.api_key, DEFAULTS.api_secret, "wrong-passphrase"), "40012"),
        (Credentials(DEFAULTS.api_key, "wrong-secret", DEFAULTS.passphrase), "40009"),
    ],
)
def test_auth_errors_surface_with_their_code_after_one_request(
    sandbox: SandboxServer, credentials: Credentials, code: str
) -> None:
    client = client_for(sandbox, credentials)
    with pytest.raises(BitgetAPIError) as caught:
        client.spot_history_orders("BTCUSDT")
    assert caught.value.code == code
    assert caught.value.http_status == 400
    assert sandbox.stats()["requests"] == 1  # auth errors are not retried
    assert DEFAULTS.api_secret not in str(caught.value)


class _HeaderTamperingSession(requests.Session):
    """Alters one auth header on the way out, for the codes a correct client never provokes."""

    def __init__(self, header: str, value: str | None) -> None:
        super().__init__()
        self.header, self.value = header, value

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.value is None:
            del request.headers[self.header]
        else:
            request.headers[self.header] = self.value
        return super().send(request, **kwargs)


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [("ACCESS-KEY", None, "40006"), ("ACCESS-TIMESTAMP", "yesterday", "40005"), ("ACCESS-SIGN", "", "40003")],
)
def test_malformed_auth_headers_surface_with_their_code(
    sandbox: SandboxServer, header: str, value: str | None, code: str
) -> None:
    session = _HeaderTamperingSession(header, value)
    with pytest.raises(BitgetAPIError) as caught:
        client_for(sandbox, session=session).spot_history_orders("BTCUSDT")
    assert caught.value.code == code
    # A refused timestamp (40005) is worth one re-sync of the clock and one repeat; nothing else is repeated.
    expected = 2 if code == "40005" else 1
    assert sandbox.stats()["endpoints"][ep.SPOT_HISTORY_ORDERS]["requests"] == expected
    session.close()


# ---- server time -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset_ms", [120_000, -120_000])
def test_a_client_two_minutes_off_the_servers_clock_works_on_its_first_signed_request(
    make_sandbox: Callable[..., SandboxServer], offset_ms: int
) -> None:
    # GIVEN an exchange whose clock is 2 minutes off ours, and a client that never asked for its time
    server = make_sandbox(clock_offset_ms=offset_ms)
    client = client_for(server)
    # WHEN it sends a signed request: refused (40008), the client learns the offset and repeats it once
    assert client.spot_history_orders("BTCUSDT", limit=1)
    endpoints = server.stats()["endpoints"]
    assert endpoints[ep.SPOT_HISTORY_ORDERS]["status"] == {"400": 1, "200": 1}
    assert endpoints[ep.SERVER_TIME]["requests"] == 1
    # THEN its clock is the server's, to within the loopback round trip
    assert client.clock_offset_ms is not None
    assert abs(client.clock_offset_ms - offset_ms) < 1000
    assert abs(client.server_now_ms() - server.now_ms()) < 1000
    assert endpoints[ep.SERVER_TIME]["requests"] == 1  # the offset is fresh: no second request


@pytest.mark.parametrize("offset_ms", [120_000, -120_000])
def test_a_window_on_the_servers_clock_pages_every_order_with_no_refused_request(
    make_sandbox: Callable[..., SandboxServer], offset_ms: int
) -> None:
    server = make_sandbox(clock_offset_ms=offset_ms)
    client = client_for(server)
    end = client.server_now_ms()  # learned first, so no signed request is ever refused
    start = end - 89 * DAY_MS
    fetched = fetch_everything(client, "SOLUSDT", start, end)
    assert by_identity(fetched) == by_identity(server.truth("SOLUSDT", start, end))
    stats = server.stats()
    assert stats["endpoints"][ep.SERVER_TIME]["requests"] == 1
    assert all(
        set(entry["status"]) <= {"200", "400"} and entry["status"].get("400", 0) == 0
        for path, entry in stats["endpoints"].items()
        if path != ep.FUTURES_CONTRACTS  # 40034 for a symbol a product type does not list is expected
    )


# ---- rate limits -----------------------------------------------------------------------------------------


class RecordingLimiter(RateLimiter):
    """A real limiter that also keeps its own schedule: (start, completion) of every request, on its clock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schedule: list[tuple[float, float]] = []
        self._record = threading.Lock()

    def release(self, ticket: Ticket, *, remaining: float | None = None) -> float:
        done = super().release(ticket, remaining=remaining)
        with self._record:
            self.schedule.append((ticket.start, done))
        return done

    def most_overlapping(self) -> int:
        """Most requests started by some request's start whose completion was under 1 s before it (or
        later): what the cap bounds, so what bounds the arrivals the server sees in any 1-second window."""
        return max(
            sum(1 for start, done in self.schedule if start <= s and done + 1.0 > s) for s, _ in self.schedule
        )

    def throughput(self) -> float:
        """Requests per second from the first start to the last completion."""
        first = min(start for start, _ in self.schedule)
        last = max(done for _, done in self.schedule)
        return len(self.schedule) / (last - first)


@pytest.mark.slow
def test_a_burst_of_200_signed_requests_sees_no_429(sandbox: SandboxServer) -> None:
    limiter = RecordingLimiter()
    client = client_for(sandbox, limiter=limiter)
    published = ep.PUBLISHED_LIMITS[ep.SPOT_HISTORY_ORDERS]
    for _ in range(200):
        client.spot_history_orders("BTCUSDT", limit=1)
    stats = sandbox.stats()
    assert stats["endpoints"][ep.SPOT_HISTORY_ORDERS]["requests"] == 200
    assert stats["http_429"] == 0
    assert client.stats.snapshot()["http_429"] == 0
    # The limiter's own schedule: after a first burst (at most the cap) evenly spaced at its rate (under the
    # published limit), never more than the limit overlapping a second. The spacing comes from its schedule,
    # not from the machine's speed.
    rate = limiter.rate(ep.SPOT_HISTORY_ORDERS)
    assert rate <= published
    starts = sorted(start for start, _ in limiter.schedule)
    burst = limiter.burst(ep.SPOT_HISTORY_ORDERS)
    assert starts[-1] - starts[0] >= (200 - burst) / rate - 1e-6
    assert limiter.most_overlapping() <= published


@pytest.mark.slow
def test_24_threads_on_one_path_see_no_429_and_run_near_the_limit(sandbox: SandboxServer) -> None:
    """Embedded mode: one limiter shared by every worker of every execution. 24 threads in 4 clients page
    one path through answers of 50 ms ± 20 ms; the sandbox counts arrivals in a sliding window."""
    sandbox.set_faults(latency_ms=50, jitter_ms=20)
    limiter = RecordingLimiter()
    clients = [client_for(sandbox, limiter=limiter) for _ in range(4)]
    total, taken = 600, iter(range(600))
    lock = threading.Lock()

    def worker(client: BitgetClient) -> None:
        while True:
            with lock:
                if next(taken, None) is None:
                    return
            client.spot_history_orders("BTCUSDT", limit=1)

    threads = [threading.Thread(target=worker, args=(clients[n % 4],)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = sandbox.stats()
    published = ep.PUBLISHED_LIMITS[ep.SPOT_HISTORY_ORDERS]
    assert stats["endpoints"][ep.SPOT_HISTORY_ORDERS]["status"]["200"] == total
    assert stats["http_429"] <= 0.001 * stats["requests"]  # the target; by construction it is 0
    assert sum(c.stats.snapshot()["errors"] for c in clients) == 0
    assert limiter.most_overlapping() <= published
    assert limiter.throughput() >= 0.8 * published


class _SharedClock:
    """One fake monotonic clock for the sandbox's rate-limit window and the client: sleeping advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(seconds, 0.0)


@pytest.fixture
def shared_clock(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[_SharedClock]:
    """The sandbox's real per-second limit enforced on a clock the test controls, so a burst lands in one
    window however slow the machine is."""
    clock = _SharedClock()
    monkeypatch.setattr(sandbox_app, "time", SimpleNamespace(monotonic=clock.monotonic, time_ns=time.time_ns))
    yield clock
    sandbox.reset()  # no window of fake timestamps outlives the test


def test_the_remaining_quota_header_holds_back_a_client_whose_limiter_allows_too_much(
    sandbox: SandboxServer, shared_clock: _SharedClock
) -> None:
    # GIVEN a client whose limiter believes the path allows 1000/s (the sandbox: 20)
    limiter = RateLimiter(
        {ep.SPOT_HISTORY_ORDERS: 1000}, monotonic=shared_clock.monotonic, sleep=shared_clock.sleep
    )
    client = client_for(sandbox, limiter=limiter, sleep=shared_clock.sleep)
    began = shared_clock.monotonic()
    # WHEN it sends three seconds' worth of requests
    for _ in range(60):
        client.spot_history_orders("BTCUSDT", limit=1)
    # THEN "x-mbx-used-remain-limit: 0" on each 20th answer held the path back a window: no 429 at all
    assert sandbox.stats()["http_429"] == 0
    assert shared_clock.monotonic() - began >= 2.0


def test_real_429s_are_waited_out_and_recovered(sandbox: SandboxServer, shared_clock: _SharedClock) -> None:
    sleeps: list[float] = []

    def client_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        shared_clock.sleep(seconds)

    def fast_client() -> BitgetClient:
        limits = {ep.SPOT_HISTORY_ORDERS: 1000}
        limiter = RateLimiter(limits, monotonic=shared_clock.monotonic, sleep=shared_clock.sleep)
        return client_for(sandbox, limiter=limiter, sleep=client_sleep)

    # GIVEN another process on the same key has just used this second's quota
    other = fast_client()
    for _ in range(int(ep.PUBLISHED_LIMITS[ep.SPOT_HISTORY_ORDERS])):
        other.spot_history_orders("BTCUSDT", limit=1)
    # WHEN we send: the sandbox refuses it (429, no quota left); we wait the window out and repeat
    ours = fast_client()
    assert ours.spot_history_orders("BTCUSDT", limit=1) is not None
    # THEN we lost nothing, and the wait was at least the window the header asked for
    assert (ours.stats.snapshot()["http_429"], sandbox.stats()["http_429"]) == (1, 1)
    assert sleeps == [1.0]
    assert ours.stats.snapshot()["errors"] == 0


# ---- faults ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_paging_under_faults_within_the_retry_budget_equals_the_truth(
    sandbox: SandboxServer,
) -> None:
    sandbox.set_faults(error_5xx=0.10, reset=0.05, truncate=0.05)
    client = client_for(sandbox, retry=RetryPolicy(retries=8, base_delay_s=0.01, max_delay_s=0.1))
    start, end = window()
    fetched = fetch_everything(client, "BTCUSDT", start, end)
    assert by_identity(fetched) == by_identity(sandbox.truth("BTCUSDT", start, end))
    injected = sandbox.stats()["faults"]
    assert sum(injected.values()) >= 3  # faults really happened (each kind alone: the test below)
    assert client.stats.snapshot()["retries"] == sum(injected.values())  # each one cost exactly one retry


@pytest.mark.parametrize(
    ("faults", "error_type", "code"),
    [
        ({"error_5xx": 1.0}, BitgetAPIError, "45001"),
        ({"reset": 1.0}, BitgetTransportError, None),
        ({"truncate": 1.0}, BitgetTransportError, None),
    ],
)
def test_faults_beyond_the_retry_budget_raise_the_typed_error(
    sandbox: SandboxServer, faults: dict[str, float], error_type: type[Exception], code: str | None
) -> None:
    sandbox.set_faults(**faults)
    client = client_for(sandbox, retry=RetryPolicy(retries=2, base_delay_s=0.01, max_delay_s=0.02))
    with pytest.raises(error_type) as caught:
        client.futures_history_orders("USDT-FUTURES", symbol="BTCUSDT")
    if code is None:
        assert not isinstance(caught.value, BitgetAPIError | BitgetTimeoutError)
    else:
        assert isinstance(caught.value, BitgetAPIError)
        assert (caught.value.code, caught.value.http_status) == (code, 503)
    assert sandbox.stats()["endpoints"][ep.FUTURES_HISTORY_ORDERS]["requests"] == 3
    assert client.stats.snapshot() | {"per_path": None} == {
        "requests": 3,
        "retries": 2,
        "http_429": 0,
        "errors": 1,
        "per_path": None,
    }


def test_429_beyond_the_retry_budget_is_a_rate_limit_error(sandbox: SandboxServer) -> None:
    sandbox.set_faults(burst_429=1.0)
    waits: list[float] = []
    clock = _SharedClock()  # the limiter's hold-back on a fake clock: it takes no real time
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    client = client_for(sandbox, retry=RetryPolicy(retries=1), limiter=limiter, sleep=waits.append)
    with pytest.raises(BitgetRateLimitError) as caught:
        client.spot_history_orders("BTCUSDT")
    assert (caught.value.code, caught.value.http_status) == ("429", 429)
    assert waits[0] == 1.0  # the client honoured x-mbx-used-remain-limit: 0 with a full window
    assert sandbox.stats()["http_429"] == 2


def test_a_hanging_server_is_a_timeout_error(sandbox: SandboxServer) -> None:
    sandbox.set_faults(timeout=1.0, timeout_s=1.0)
    client = client_for(sandbox, retry=RetryPolicy(retries=0), timeout_s=0.3)
    with pytest.raises(BitgetTimeoutError):
        client.server_time_ms()
