"""BitgetClient (lambda_functions/common/bitget/client.py) over a scripted fake session, no network."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ReadTimeoutError

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetClient,
    BitgetError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
    Credentials,
    RateLimiter,
    RetryPolicy,
    build_query_string,
    prehash,
    sign,
)
from lambda_functions.common.bitget import endpoints as ep

KEY = "bg_key_4f1c9e"
SECRET = "s3cr3t-VALUE-8d2a77"
PASSPHRASE = "pass-PHRASE-13b9"
CREDS = Credentials(KEY, SECRET, PASSPHRASE)
NOW_S = 1_700_000_000.0


def response(status: int = 200, body: Any = None, headers: dict | None = None) -> requests.Response:
    """A requests.Response with the given status, JSON (or raw bytes) body and headers."""
    if body is None:
        body = {"code": "00000", "msg": "success", "requestTime": 1, "data": []}
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    resp.headers = CaseInsensitiveDict(headers or {})
    return resp


def sent_url(prepared: requests.PreparedRequest) -> str:
    """The URL of a request the client prepared (always set once prepared)."""
    assert prepared.url is not None
    return prepared.url


def envelope(data: Any = None, code: str = "00000", msg: str = "success", **extra: Any) -> dict:
    return {"code": code, "msg": msg, "requestTime": 1700000000000, "data": data, **extra}


class FakeSession:
    """Plays a script of responses/exceptions (the last one repeats) and records what was sent."""

    def __init__(self, *script: requests.Response | Exception) -> None:
        self.script = list(script) or [response()]
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []
        self.closed = False
        self._lock = threading.Lock()

    def send(self, prepared: requests.PreparedRequest, timeout: Any = None) -> requests.Response:
        with self._lock:
            self.sent.append(prepared)
            self.timeouts.append(timeout)
            step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return step

    def close(self) -> None:
        self.closed = True


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class FakeClock:
    """A clock that moves only when slept on or advanced (thread-safe); `time` and `monotonic` both read it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    monotonic = time

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def quiet_limiter(**kwargs: Any) -> RateLimiter:
    """Bitget's limits on a fake clock of their own: the limiter's waits take no real time."""
    clock = FakeClock()
    return RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep, **kwargs)


def make_client(
    session: Any, *, retries: int = 2, jitter: float = 1.0, clock: Any = lambda: NOW_S, **kwargs: Any
) -> BitgetClient:
    sleeps = kwargs.pop("sleep", Recorder())
    limiter = kwargs.pop("limiter", None) or quiet_limiter()
    return BitgetClient(
        "https://api.example.test",
        kwargs.pop("credentials", CREDS),
        retry=RetryPolicy(retries=retries),
        limiter=limiter,
        session=session,
        clock=clock,
        sleep=sleeps,
        jitter=lambda: jitter,
        **kwargs,
    )


# ---- request building ----------------------------------------------------------------------------------


def test_signed_get_sends_the_exact_signed_url_and_auth_headers() -> None:
    session = FakeSession(response(body=envelope([{"orderId": "1"}])))
    client = make_client(session)
    params = {"symbol": "$ALTUSDT", "limit": 100, "startTime": 1, "idLessThan": None}

    data = client.get(ep.SPOT_HISTORY_ORDERS, params, signed=True)

    assert data == [{"orderId": "1"}]
    sent = session.sent[0]
    query = build_query_string(params)
    assert sent.url == f"https://api.example.test{ep.SPOT_HISTORY_ORDERS}?{query}"
    assert query == "limit=100&startTime=1&symbol=$ALTUSDT"  # "$" not re-encoded by requests
    expected = sign(prehash("1700000000000", "GET", ep.SPOT_HISTORY_ORDERS, query), SECRET)
    assert sent.headers["ACCESS-SIGN"] == expected
    assert sent.headers["ACCESS-KEY"] == KEY
    assert sent.headers["ACCESS-PASSPHRASE"] == PASSPHRASE
    assert sent.headers["ACCESS-TIMESTAMP"] == "1700000000000"
    assert sent.method == "GET"
    assert sent.body is None


def test_public_get_sends_no_auth_headers() -> None:
    session = FakeSession(response(body=envelope({"serverTime": "1700000000123"})))
    assert make_client(session, credentials=None).server_time_ms() == 1700000000123
    assert "ACCESS-SIGN" not in session.sent[0].headers
    assert session.sent[0].url == "https://api.example.test/api/v2/public/time"


def test_explicit_connect_and_read_timeouts() -> None:
    session = FakeSession(response())
    client = make_client(session, timeout_s=15.0)
    client.get("/p")
    client.get("/p", timeout_s=2.0)
    assert session.timeouts == [(5.0, 15.0), (2.0, 2.0)]


def test_signed_request_without_credentials_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs credentials"):
        make_client(FakeSession(), credentials=None).get(ep.SPOT_HISTORY_ORDERS, signed=True)


def test_constructor_does_no_io_and_default_session_is_pooled() -> None:
    session = FakeSession(RuntimeError("must not be called"))
    make_client(session)
    assert session.sent == []
    client = BitgetClient()
    adapter = client._session.get_adapter("https://api.bitget.com")
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter._pool_maxsize == 16  # type: ignore[attr-defined]  # types-requests omits this private attribute
    assert adapter.max_retries.total == 0
    client.close()


# ---- server time -----------------------------------------------------------------------------------------


class SkewedExchange:
    """A fake Bitget whose clock is `offset_ms` ahead of the test's `clock`: it answers /public/time from its
    own clock and refuses a signed request whose ACCESS-TIMESTAMP is more than 30 s from it (40008). Each
    exchange takes `rtt_s`, the server reading its clock halfway through."""

    def __init__(
        self, clock: FakeClock, offset_ms: int, rtt_s: float = 0.0, time_delay_s: float = 0.0
    ) -> None:
        self.clock, self.offset_ms, self.rtt_s, self.time_delay_s = clock, offset_ms, rtt_s, time_delay_s
        self.sent: list[requests.PreparedRequest] = []
        self._lock = threading.Lock()

    def paths(self) -> list[str]:
        return [urlsplit(sent_url(p)).path for p in self.sent]

    def send(self, prepared: requests.PreparedRequest, timeout: Any = None) -> requests.Response:
        with self._lock:
            self.sent.append(prepared)
        self.clock.advance(self.rtt_s / 2)
        server_ms = round(self.clock.time() * 1000) + self.offset_ms
        self.clock.advance(self.rtt_s / 2)
        if urlsplit(sent_url(prepared)).path == ep.SERVER_TIME:
            time.sleep(self.time_delay_s)  # a slow answer, so that concurrent callers overlap for real
            return response(body=envelope({"serverTime": str(server_ms)}))
        stamp = prepared.headers.get("ACCESS-TIMESTAMP")
        if stamp is not None and abs(int(stamp) - server_ms) > 30_000:
            return response(400, envelope(code="40008", msg="Request timestamp expired"))
        return response(body=envelope([{"orderId": "1"}]))


def skewed(offset_ms: int, **kwargs: Any) -> tuple[SkewedExchange, FakeClock, BitgetClient]:
    clock = FakeClock(NOW_S)
    exchange = SkewedExchange(clock, offset_ms, **kwargs)
    return exchange, clock, make_client(exchange, clock=clock.time)


@pytest.mark.parametrize("offset_ms", [120_000, -120_000])
def test_server_now_is_the_local_clock_plus_the_offset_corrected_by_half_the_round_trip(
    offset_ms: int,
) -> None:
    # GIVEN an exchange 2 minutes off our clock, 200 ms away
    exchange, clock, client = skewed(offset_ms, rtt_s=0.2)
    # WHEN we ask for the server's time
    now = client.server_now_ms()
    # THEN it is our clock plus the exact offset (the server read its clock halfway through the round trip)
    assert client.clock_offset_ms == offset_ms
    assert now == int(clock.time() * 1000) + offset_ms
    assert exchange.paths() == [ep.SERVER_TIME]


def test_the_offset_is_learned_once_and_again_after_its_ttl() -> None:
    exchange, clock, client = skewed(5_000)
    client.server_now_ms()
    clock.advance(59.0)
    assert client.server_now_ms() == int(clock.time() * 1000) + 5_000
    assert exchange.paths() == [ep.SERVER_TIME]  # still fresh: no second request
    clock.advance(1.5)
    exchange.offset_ms = 7_000  # the server's clock drifted
    assert client.server_now_ms() == int(clock.time() * 1000) + 7_000
    assert exchange.paths() == [ep.SERVER_TIME, ep.SERVER_TIME]


def test_the_server_time_ttl_is_a_constructor_argument() -> None:
    clock = FakeClock(NOW_S)
    exchange = SkewedExchange(clock, 0)
    client = make_client(exchange, clock=clock.time, server_time_ttl_s=5.0)
    client.server_now_ms()
    clock.advance(5.0)
    client.server_now_ms()
    assert exchange.paths() == [ep.SERVER_TIME, ep.SERVER_TIME]
    with pytest.raises(ValueError, match="ttl_s"):
        make_client(exchange, server_time_ttl_s=0)


def test_threads_asking_at_once_share_one_fetch() -> None:
    exchange, _, client = skewed(120_000, time_delay_s=0.05)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(client.server_now_ms())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 16
    assert exchange.paths() == [ep.SERVER_TIME]


def test_signed_requests_use_the_server_clock_once_known() -> None:
    # GIVEN a laptop 2 minutes behind the exchange that has learned the offset
    exchange, clock, client = skewed(120_000)
    client.server_now_ms()
    # WHEN it sends a signed request
    assert client.spot_history_orders("BTCUSDT") == [{"orderId": "1"}]
    # THEN its timestamp is on the exchange's clock and it is accepted at once
    assert exchange.sent[-1].headers["ACCESS-TIMESTAMP"] == str(int(clock.time() * 1000) + 120_000)
    assert exchange.paths() == [ep.SERVER_TIME, ep.SPOT_HISTORY_ORDERS]


def test_a_refused_timestamp_resyncs_the_clock_and_repeats_the_request_once() -> None:
    # GIVEN a laptop 2 minutes ahead that never asked for the server time
    exchange, _, client = skewed(-120_000)
    # WHEN its first signed request is refused with 40008
    rows = client.spot_history_orders("BTCUSDT")
    # THEN it learned the offset and the repeated request went through
    assert rows == [{"orderId": "1"}]
    assert exchange.paths() == [ep.SPOT_HISTORY_ORDERS, ep.SERVER_TIME, ep.SPOT_HISTORY_ORDERS]
    assert client.clock_offset_ms == -120_000
    stats = client.stats.snapshot()
    assert (stats["retries"], stats["errors"]) == (1, 0)


def test_threads_refused_together_share_one_resync() -> None:
    exchange, _, client = skewed(120_000, time_delay_s=0.05)
    threads = [threading.Thread(target=client.spot_history_orders, args=("BTCUSDT",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert exchange.paths().count(ep.SERVER_TIME) == 1
    assert client.stats.snapshot()["errors"] == 0


@pytest.mark.parametrize("code", ["40008", "40005"])
def test_a_timestamp_refused_again_after_the_resync_is_raised(code: str) -> None:
    refused = response(400, envelope(code=code, msg="Request timestamp expired"))
    session = FakeSession(refused, response(body=envelope({"serverTime": "1700000000000"})), refused)
    client = make_client(session, retries=5)
    with pytest.raises(BitgetAPIError) as caught:
        client.spot_history_orders("BTCUSDT")
    assert caught.value.code == code
    assert len(session.sent) == 3  # refused, the time, refused again: no more
    assert client.stats.snapshot()["errors"] == 1


def test_a_failed_resync_raises_the_refused_requests_error() -> None:
    refused = response(400, envelope(code="40008", msg="Request timestamp expired"))
    session = FakeSession(refused, response(503, b"<html>down</html>"))
    client = make_client(session, retries=0)
    with pytest.raises(BitgetAPIError) as caught:
        client.spot_history_orders("BTCUSDT")
    assert caught.value.code == "40008"
    assert isinstance(caught.value.__cause__, BitgetTransportError)
    assert client.stats.snapshot()["errors"] == 1  # one error reached the caller


def test_unsigned_requests_are_not_repeated_on_a_clock_code() -> None:
    session = FakeSession(response(400, envelope(code="40008", msg="expired")))
    with pytest.raises(BitgetAPIError):
        make_client(session).get("/p")
    assert len(session.sent) == 1


@pytest.mark.parametrize("data", [None, {}, {"serverTime": "soon"}])
def test_a_time_answer_without_a_server_time_is_a_transport_error(data: Any) -> None:
    with pytest.raises(BitgetTransportError, match="serverTime"):
        make_client(FakeSession(response(body=envelope(data)))).server_now_ms()


# ---- answers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_time", "expected"),
    [(1702574766114, 1702574766114), ("1702571790777", 1702571790777), (None, None)],
)
@pytest.mark.parametrize("text_key", ["msg", "message"])
def test_error_envelopes_in_every_live_form_give_code_and_message(
    request_time: Any, expected: int | None, text_key: str
) -> None:
    # GIVEN `msg` or `message`, `data: null`, and requestTime as a number, a string or missing
    body = {"code": "40034", text_key: f"Parameter does not exist ({SECRET})", "data": None}
    if request_time is not None:
        body["requestTime"] = request_time
    with pytest.raises(BitgetAPIError) as caught:
        make_client(FakeSession(response(400, body))).get("/p")
    # THEN the error carries Bitget's code and text, without the secret
    assert (caught.value.code, caught.value.request_time_ms) == ("40034", expected)
    assert caught.value.message == "Parameter does not exist (***)"
    assert "40034" in str(caught.value) and "Parameter does not exist" in str(caught.value)


@pytest.mark.parametrize("text_key", ["msg", "message"])
def test_success_envelopes_with_null_data_and_no_request_time(text_key: str) -> None:
    session = FakeSession(response(200, {"code": "00000", text_key: "success", "data": None}))
    client = make_client(session)
    assert client.get("/p") is None
    assert client.spot_history_orders("BTCUSDT") == []


def test_non_2xx_envelope_raises_at_once_with_the_bitget_code() -> None:
    session = FakeSession(response(400, envelope(code="40034", msg="Parameter ADAUSDT_UMCBL does not exist")))
    client = make_client(session)
    with pytest.raises(BitgetAPIError) as caught:
        client.get(ep.SPOT_HISTORY_ORDERS, {"symbol": "ADAUSDT_UMCBL"}, signed=True)
    assert (caught.value.code, caught.value.http_status, caught.value.path) == (
        "40034",
        400,
        ep.SPOT_HISTORY_ORDERS,
    )
    assert not isinstance(caught.value, BitgetRateLimitError)
    assert len(session.sent) == 1
    assert client.stats.snapshot()["errors"] == 1


@pytest.mark.parametrize("code", ["40009", "40006", "40012", "40085", "40705"])
def test_non_retryable_codes_make_one_request(code: str) -> None:
    session = FakeSession(response(400, envelope(code=code, msg="nope")))
    sleeps = Recorder()
    with pytest.raises(BitgetAPIError) as caught:
        make_client(session, retries=5, sleep=sleeps).get("/p")
    assert caught.value.code == code
    assert len(session.sent) == 1
    assert sleeps.sleeps == []


def test_error_code_inside_a_200_is_an_api_error() -> None:
    with pytest.raises(BitgetAPIError) as caught:
        make_client(FakeSession(response(200, envelope(code="40034", msg="x")))).get("/p")
    assert caught.value.code == "40034"


def test_4xx_without_envelope_is_an_api_error_named_by_the_status() -> None:
    session = FakeSession(response(404, b"<html>not found</html>"))
    with pytest.raises(BitgetAPIError) as caught:
        make_client(session).get("/p")
    assert (caught.value.code, caught.value.http_status) == ("404", 404)
    assert len(session.sent) == 1


# ---- retries ---------------------------------------------------------------------------------------------


def test_429_then_success_retries_with_exponential_backoff() -> None:
    session = FakeSession(
        response(429, envelope(code="429", msg="Too Many Requests")),
        response(429, b"Too Many Requests"),
        response(200, envelope(["ok"])),
    )
    sleeps = Recorder()
    client = make_client(session, retries=2, sleep=sleeps)
    assert client.get("/p") == ["ok"]
    assert sleeps.sleeps == [0.5, 1.0]
    stats = client.stats.snapshot()
    assert (stats["requests"], stats["retries"], stats["http_429"], stats["errors"]) == (3, 2, 2, 0)
    assert stats["per_path"] == {"/p": 3}


def test_code_429_in_a_200_is_rate_limited_too() -> None:
    session = FakeSession(response(200, envelope(code="429", msg="Too Many Requests")))
    with pytest.raises(BitgetRateLimitError) as caught:
        make_client(session, retries=1).get("/p")
    assert caught.value.code == "429"
    assert len(session.sent) == 2


def test_429_honours_retry_after() -> None:
    session = FakeSession(response(429, b"", {"Retry-After": "3"}), response(200, envelope([])))
    sleeps = Recorder()
    make_client(session, sleep=sleeps).get("/p")
    assert sleeps.sleeps == [3.0]


def test_429_with_no_remaining_quota_waits_a_full_window_and_holds_back_the_endpoint() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/p": 10}, monotonic=clock.monotonic, sleep=clock.sleep, burst=1)
    session = FakeSession(response(429, b"", {"x-mbx-used-remain-limit": "0"}), response(200, envelope([])))
    sleeps = Recorder()
    make_client(session, sleep=sleeps, limiter=limiter).get("/p")
    assert sleeps.sleeps == [1.0]
    # The retry took the first slot after the window; the next caller on the endpoint queues behind it.
    assert limiter.acquire("/p").start == pytest.approx(1.0 + 1 / limiter.rate("/p"))


def test_every_attempt_gives_its_rate_limit_ticket_back_whatever_happened() -> None:
    failures: list[requests.Response | Exception] = [
        requests.ConnectionError("reset"),
        response(429, envelope(code="429", msg="Too Many Requests")),
        response(503, b"<html>busy</html>"),
        response(200, b'{"code":"00000","data":[{"orderId":"1"'),
        response(400, envelope(code="40034", msg="Parameter does not exist")),
    ]
    client = make_client(FakeSession(*failures), retries=4)
    with pytest.raises(BitgetAPIError):
        client.get("/p")
    assert client.stats.snapshot()["requests"] == 5
    assert client.limiter.in_flight("/p") == 0


def test_the_remaining_quota_header_reaches_the_limiter() -> None:
    # GIVEN a process with half of a 10/s path, and an answer saying no quota is left this second
    limiter = quiet_limiter(share=0.5)
    session = FakeSession(response(200, envelope([]), {"x-mbx-used-remain-limit": "0"}))
    make_client(session, limiter=limiter).get("/p")
    # THEN the path is held back for a window (someone else is using the account's quota)
    assert limiter.try_acquire("/p") == pytest.approx(1.0)


def test_429_with_a_very_long_retry_after_is_raised_at_once() -> None:
    session = FakeSession(response(429, b"", {"Retry-After": "600"}))
    with pytest.raises(BitgetRateLimitError) as caught:
        make_client(session).get("/p")
    assert caught.value.retry_after_s == 600.0
    assert len(session.sent) == 1


def test_retries_exhausted_raise_the_typed_error_with_the_bitget_code() -> None:
    session = FakeSession(response(400, envelope(code="45001", msg="system busy")))
    sleeps = Recorder()
    client = make_client(session, retries=3, sleep=sleeps)
    with pytest.raises(BitgetAPIError) as caught:
        client.get("/p")
    assert caught.value.code == "45001"
    assert len(session.sent) == 4
    assert sleeps.sleeps == [0.5, 1.0, 2.0]
    assert client.stats.snapshot()["errors"] == 1


def test_rate_limit_exhausted_raises_rate_limit_error() -> None:
    session = FakeSession(response(429, envelope(code="429", msg="Too Many Requests")))
    client = make_client(session, retries=2)
    with pytest.raises(BitgetRateLimitError) as caught:
        client.get("/p")
    assert (caught.value.code, caught.value.http_status) == ("429", 429)
    assert client.stats.snapshot()["http_429"] == 3


def test_backoff_is_capped_and_jittered() -> None:
    session = FakeSession(response(503, b"<html>busy</html>"))
    sleeps = Recorder()
    client = BitgetClient(
        "http://x",
        retry=RetryPolicy(retries=7, base_delay_s=0.5, max_delay_s=4.0),
        limiter=quiet_limiter(),
        session=session,  # type: ignore[arg-type]
        sleep=sleeps,
        jitter=lambda: 0.5,
    )
    with pytest.raises(BitgetTransportError) as caught:
        client.get("/p")
    assert caught.value.http_status == 503
    assert sleeps.sleeps == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0]  # half of min(4, 0.5 × 2^n)


def test_5xx_with_an_envelope_is_retried_then_reported_with_its_code() -> None:
    session = FakeSession(response(500, envelope(code="50000", msg="internal")))
    with pytest.raises(BitgetAPIError) as caught:
        make_client(session, retries=1).get("/p")
    assert (caught.value.code, caught.value.http_status) == ("50000", 500)
    assert len(session.sent) == 2


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (requests.ConnectionError("Connection reset by peer"), BitgetTransportError),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), BitgetTransportError),
        (requests.ReadTimeout("read timed out"), BitgetTimeoutError),
        (requests.ConnectTimeout("connect timed out"), BitgetTimeoutError),
        (requests.ConnectionError(ReadTimeoutError(None, "/p", "Read timed out.")), BitgetTimeoutError),  # type: ignore[arg-type]
        (response(200, b'{"code":"00000","msg":"success","data":[{"orderId":"1"'), BitgetTransportError),
        (response(200, b"\xff\xfe garbage"), BitgetTransportError),
        (response(502, b"<html>bad gateway</html>"), BitgetTransportError),
        (response(200, b"[1, 2]"), BitgetTransportError),
    ],
)
def test_transport_failures_are_retried_then_typed(failure: Any, kind: type[BitgetError]) -> None:
    # GIVEN one failure, then success: the client recovers
    session = FakeSession(failure, response(200, envelope(["ok"])))
    assert make_client(session).get("/p") == ["ok"]
    # GIVEN only failures: the typed error comes out, chained to its cause
    session = FakeSession(failure)
    with pytest.raises(kind) as caught:
        make_client(session, retries=2).get("/p")
    assert len(session.sent) == 3
    assert not isinstance(caught.value, BitgetAPIError)
    if isinstance(failure, Exception):
        assert caught.value.__cause__ is failure


def test_stats_are_exact_under_concurrency() -> None:
    session = FakeSession(response(200, envelope([])))
    client = make_client(session)

    def worker() -> None:
        for _ in range(100):
            client.get("/a")
            client.get("/b")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.stats.snapshot() == {
        "requests": 1600,
        "retries": 0,
        "http_429": 0,
        "errors": 0,
        "per_path": {"/a": 800, "/b": 800},
    }


# ---- endpoints -------------------------------------------------------------------------------------------


def sent_params(session: FakeSession, index: int = -1) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(sent_url(session.sent[index])).query))


def test_spot_history_orders_params_and_empty_data() -> None:
    session = FakeSession(response(body=envelope(None)))
    rows = make_client(session).spot_history_orders(
        "BTCUSDT", start_ms=1, end_ms=2, id_less_than="99", limit=50, tpsl_type="tpsl"
    )
    assert rows == []
    assert urlsplit(sent_url(session.sent[0])).path == ep.SPOT_HISTORY_ORDERS
    assert sent_params(session) == {
        "symbol": "BTCUSDT",
        "startTime": "1",
        "endTime": "2",
        "idLessThan": "99",
        "limit": "50",
        "tpslType": "tpsl",
    }


def test_spot_plan_history_is_normalised() -> None:
    data = {"nextFlag": "true", "idLessThan": "77", "orderList": None}
    session = FakeSession(response(body=envelope(data)))
    page = make_client(session).spot_plan_history("BTCUSDT", start_ms=1, end_ms=2)
    assert page == {"nextFlag": True, "idLessThan": "77", "orderList": []}
    assert sent_params(session) == {"symbol": "BTCUSDT", "startTime": "1", "endTime": "2", "limit": "100"}


def test_futures_history_orders_normalises_an_empty_page() -> None:
    session = FakeSession(response(body=envelope({"entrustedList": None, "endId": ""})))
    page = make_client(session).futures_history_orders("USDT-FUTURES", symbol="BTCUSDT", id_less_than="5")
    assert page == {"entrustedList": [], "endId": None}
    assert urlsplit(sent_url(session.sent[0])).path == ep.FUTURES_HISTORY_ORDERS
    assert sent_params(session) == {
        "productType": "USDT-FUTURES",
        "symbol": "BTCUSDT",
        "idLessThan": "5",
        "limit": "100",
    }


def test_futures_plan_history_sends_plan_type() -> None:
    rows = [{"orderId": "3"}]
    session = FakeSession(response(body=envelope({"entrustedList": rows, "endId": "3"})))
    page = make_client(session).futures_plan_history("USDC-FUTURES", "track_plan", start_ms=5)
    assert page == {"entrustedList": rows, "endId": "3"}
    assert sent_params(session) == {
        "productType": "USDC-FUTURES",
        "planType": "track_plan",
        "startTime": "5",
        "limit": "100",
    }


def test_symbol_lists() -> None:
    session = FakeSession(response(body=envelope([{"symbol": "BTCUSDT"}])))
    client = make_client(session, credentials=None)
    assert client.spot_symbols() == [{"symbol": "BTCUSDT"}]
    assert client.futures_contracts("COIN-FUTURES", "BTCUSD") == [{"symbol": "BTCUSDT"}]
    assert sent_url(session.sent[0]).endswith(ep.SPOT_SYMBOLS)
    assert sent_params(session) == {"productType": "COIN-FUTURES", "symbol": "BTCUSD"}


@pytest.mark.parametrize("limit", [0, 101])
def test_page_limit_out_of_range_is_rejected(limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 100"):
        make_client(FakeSession()).spot_history_orders("BTCUSDT", limit=limit)


def test_close_closes_only_an_owned_session() -> None:
    session = FakeSession()
    make_client(session).close()
    assert not session.closed


# ---- secrets ---------------------------------------------------------------------------------------------


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    assert PASSPHRASE not in text
    assert KEY not in text


def test_credentials_repr_hides_secrets() -> None:
    assert_no_secret(repr(CREDS))
    assert_no_secret(str(CREDS))
    assert_no_secret(repr(make_client(FakeSession())))
    assert "bg_k***" in repr(CREDS)


@pytest.mark.parametrize(
    "failure",
    [
        response(400, envelope(code="40009", msg=f"sign error for {KEY} {SECRET} {PASSPHRASE}")),
        response(429, envelope(code="429", msg=f"slow down {SECRET}")),
        requests.ConnectionError(f"reset while sending ACCESS-PASSPHRASE: {PASSPHRASE} {SECRET}"),
        requests.ReadTimeout(f"timed out {SECRET}"),
        response(503, f"<html>{SECRET}</html>".encode()),
    ],
)
def test_no_secret_in_errors_or_logs_even_on_failure(failure: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    session = FakeSession(failure)
    with pytest.raises(BitgetError) as caught:
        make_client(session, retries=2).get(ep.SPOT_HISTORY_ORDERS, {"symbol": "BTCUSDT"}, signed=True)
    assert_no_secret(str(caught.value))
    assert_no_secret(repr(caught.value))
    assert_no_secret(caught.value.message)
    logged = caplog.text + " ".join(json.dumps(vars(r), default=str) for r in caplog.records)
    assert_no_secret(logged)
    if len(session.sent) > 1:
        assert "bitget retry" in caplog.text  # the retries were logged, just without secrets
