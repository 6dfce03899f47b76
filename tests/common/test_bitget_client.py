"""BitgetClient (lambda_functions/common/bitget/client.py) over a scripted fake session, no network."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
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


def envelope(data: Any = None, code: str = "00000", msg: str = "success", **extra: Any) -> dict:
    return {"code": code, "msg": msg, "requestTime": 1700000000000, "data": data, **extra}


class FakeSession:
    """Plays a script of responses/exceptions (the last one repeats) and records what was sent."""

    def __init__(self, *script: requests.Response | Exception | Callable[[], Any]) -> None:
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


def make_client(
    session: FakeSession, *, retries: int = 2, jitter: float = 1.0, **kwargs: Any
) -> BitgetClient:
    sleeps = kwargs.pop("sleep", Recorder())
    limiter = kwargs.pop("limiter", RateLimiter(monotonic=lambda: 0.0, sleep=lambda s: None))
    return BitgetClient(
        "https://api.example.test",
        kwargs.pop("credentials", CREDS),
        retry=RetryPolicy(retries=retries),
        limiter=limiter,
        session=session,  # type: ignore[arg-type]
        clock=lambda: NOW_S,
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
    assert adapter._pool_maxsize == 16  # type: ignore[attr-defined]
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]
    client.close()


# ---- answers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_time", [1702574766114, "1702571790777"])
def test_request_time_as_number_or_string(request_time: Any) -> None:
    body = {"code": "40034", "msg": "Parameter does not exist", "requestTime": request_time, "data": None}
    with pytest.raises(BitgetAPIError) as caught:
        make_client(FakeSession(response(400, body))).get("/p")
    assert caught.value.request_time_ms == int(request_time)


def test_message_field_is_read_as_well_as_msg() -> None:
    body = {"code": "40020", "message": "Parameter orderId error", "requestTime": 1, "data": None}
    with pytest.raises(BitgetAPIError, match="Parameter orderId error"):
        make_client(FakeSession(response(400, body))).get("/p")


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


@pytest.mark.parametrize("code", ["40009", "40006", "40008", "40012", "40085", "40705"])
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
    assert sleeps.sleeps == [0.25, 0.5]
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
    clock = {"now": 0.0}
    limiter = RateLimiter({"/p": 10}, monotonic=lambda: clock["now"], sleep=lambda s: None)
    session = FakeSession(response(429, b"", {"x-mbx-used-remain-limit": "0"}), response(200, envelope([])))
    sleeps = Recorder()
    make_client(session, sleep=sleeps, limiter=limiter).get("/p")
    assert sleeps.sleeps == [1.0]
    # The retry took the first slot after the window; the next caller on the endpoint queues behind it.
    assert limiter.acquire("/p") == pytest.approx(1.0 + 1 / 9.5)


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
    assert sleeps.sleeps == [0.25, 0.5, 1.0]
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
        limiter=RateLimiter(monotonic=lambda: 0.0, sleep=lambda s: None),
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
    return dict(parse_qsl(urlsplit(session.sent[index].url).query))


def test_spot_history_orders_params_and_empty_data() -> None:
    session = FakeSession(response(body=envelope(None)))
    rows = make_client(session).spot_history_orders(
        "BTCUSDT", start_ms=1, end_ms=2, id_less_than="99", limit=50, tpsl_type="tpsl"
    )
    assert rows == []
    assert urlsplit(session.sent[0].url).path == ep.SPOT_HISTORY_ORDERS
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
    assert urlsplit(session.sent[0].url).path == ep.FUTURES_HISTORY_ORDERS
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
    assert session.sent[0].url.endswith(ep.SPOT_SYMBOLS)
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
