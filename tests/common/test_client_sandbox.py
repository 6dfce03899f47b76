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
        query = {"symbol": symbol, "start_ms": start, "end_ms": end, "id_less_than": cursor}
        if plan is None:
            page = client.futures_history_orders(product, **query)
        else:
            page = client.futures_plan_history(product, plan, **query)
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
    ("credentials", "clock_skew_s", "code"),
    [
        (Credentials("", DEFAULTS.api_secret, DEFAULTS.passphrase), 0, "40001"),
        (Credentials("no-such-key", DEFAULTS.api_secret, DEFAULTS.passphrase), 0, "40037"),
        (Credentials(DEFAULTS.api_key, DEFAULTS.api_secret, ""), 0, "40011"),
        (Credentials(DEFAULTS.api_key, DEFAULTS.api_secret, "wrong-passphrase"), 0, "40012"),
        (Credentials(DEFAULTS.api_key, "wrong-secret", DEFAULTS.passphrase), 0, "40009"),
        (GOOD, -120, "40008"),
    ],
)
def test_auth_errors_surface_with_their_code_after_one_request(
    sandbox: SandboxServer, credentials: Credentials, clock_skew_s: float, code: str
) -> None:
    client = client_for(sandbox, credentials, clock=lambda: time.time() + clock_skew_s)
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

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
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
    session.close()


# ---- rate limits -----------------------------------------------------------------------------------------


class _ScheduleRecorder:
    """The limiter's own accounting: the start slot it gave each request (its clock reading + its wait).

    The limiter reads its clock once per `acquire` and then sleeps the wait it scheduled (if any), so in a
    single thread the readings and waits pair up in order. It still really sleeps: the sandbox enforces the
    limit in real time.
    """

    def __init__(self) -> None:
        self.slots: list[float] = []

    def monotonic(self) -> float:
        now = time.monotonic()
        self.slots.append(now)
        return now

    def sleep(self, seconds: float) -> None:
        self.slots[-1] += seconds
        time.sleep(seconds)


@pytest.mark.slow
def test_a_burst_of_200_signed_requests_sees_no_429(sandbox: SandboxServer) -> None:
    recorder = _ScheduleRecorder()
    limiter = RateLimiter(monotonic=recorder.monotonic, sleep=recorder.sleep)
    client = client_for(sandbox, limiter=limiter)
    published = ep.PUBLISHED_LIMITS[ep.SPOT_HISTORY_ORDERS]
    for _ in range(200):
        client.spot_history_orders("BTCUSDT", limit=1)
    stats = sandbox.stats()
    assert stats["endpoints"][ep.SPOT_HISTORY_ORDERS]["requests"] == 200
    assert stats["http_429"] == 0
    assert client.stats.snapshot()["http_429"] == 0
    # The limiter scheduled every request (no 429, so no defer() read the clock) at most `rate` per second,
    # and its rate is under Bitget's published limit: the spacing comes from its schedule, not machine speed.
    assert len(recorder.slots) == 200
    rate = limiter.rate(ep.SPOT_HISTORY_ORDERS)
    assert rate <= published
    gaps = [later - earlier for earlier, later in zip(recorder.slots, recorder.slots[1:], strict=False)]
    assert min(gaps) >= 1 / rate - 1e-6
    assert recorder.slots[-1] - recorder.slots[0] >= (200 - 1) / rate - 1e-6


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


def test_without_spacing_the_sandbox_rate_limits_and_the_client_recovers(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the sandbox's real per-second limit enforced on a clock the test controls (so the burst lands in
    # one window however slow the machine), and a client whose limiter allows far more than the sandbox
    clock = _SharedClock()
    monkeypatch.setattr(sandbox_app, "time", SimpleNamespace(monotonic=clock.monotonic, time_ns=time.time_ns))
    sleeps: list[float] = []

    def client_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.sleep(seconds)

    client = client_for(
        sandbox,
        retry=RetryPolicy(retries=3, base_delay_s=0.01, max_delay_s=0.05),
        limiter=RateLimiter({ep.SPOT_HISTORY_ORDERS: 1000}, monotonic=clock.monotonic, sleep=clock.sleep),
        sleep=client_sleep,
    )
    burst = 3 * ep.PUBLISHED_LIMITS[ep.SPOT_HISTORY_ORDERS]
    try:
        # WHEN it fires three seconds' worth of requests at 1000/s
        for _ in range(int(burst)):
            client.spot_history_orders("BTCUSDT", limit=1)
        stats = sandbox.stats()
    finally:
        sandbox.reset()  # no window of fake timestamps outlives the test
    # THEN the sandbox refused real requests (429), the client waited the window out
    # (x-mbx-used-remain-limit: 0) and lost nothing
    assert client.stats.snapshot()["http_429"] >= 2
    assert stats["http_429"] == client.stats.snapshot()["http_429"]
    assert stats["endpoints"][ep.SPOT_HISTORY_ORDERS]["status"]["200"] == int(burst)
    assert sleeps and min(sleeps) >= 1.0
    assert client.stats.snapshot()["errors"] == 0


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
        assert (caught.value.code, caught.value.http_status) == (code, 503)  # type: ignore[attr-defined]
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
    limiter = RateLimiter(sleep=waits.append)  # record the endpoint hold-back instead of sleeping it
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
