"""The Bitget v2 REST client: one request path, typed errors, bounded retries, per-endpoint rate limits.

Every call goes through `BitgetClient.get`: wait for the rate limiter, sign (fresh timestamp per attempt),
send the exact signed URL over a pooled `requests.Session`, then turn the answer into the envelope's
`data` or a typed error (`errors.py`). `requests` exceptions are translated in one place, `_send_once`.
Retryable failures (`retry.py`) are retried with jittered exponential backoff; the rest raise at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from lambda_functions.common.bitget import endpoints
from lambda_functions.common.bitget.credentials import Credentials
from lambda_functions.common.bitget.envelope import data_or_raise
from lambda_functions.common.bitget.errors import (
    BitgetAPIError,
    BitgetError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
)
from lambda_functions.common.bitget.rate_limit import RateLimiter
from lambda_functions.common.bitget.retry import RetryPolicy, is_retryable, retry_delay
from lambda_functions.common.bitget.signing import build_query_string, prehash, sign
from lambda_functions.common.bitget.stats import ClientStats

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.bitget.com"
CONNECT_TIMEOUT_S = 5.0  # connecting is quick or broken; the read timeout is the caller's budget
POOL_SIZE = 16  # concurrent connections per host: worker threads share one client
MAX_PAGE_LIMIT = 100  # Bitget's documented maximum page size on the history endpoints
_ERROR_TEXT_LIMIT = 300


class BitgetClient:
    """A thread-safe Bitget v2 client. Construction does no network I/O."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        credentials: Credentials | None = None,
        *,
        timeout_s: float = 15.0,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass, safe as a default
        limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        jitter: Callable[[], float] = random.random,
        locale: str = "en-US",
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        self.base_url = base_url.rstrip("/")
        self.stats = ClientStats()
        self._credentials = credentials
        self._timeout_s = timeout_s
        self._retry = retry
        self._limiter = limiter if limiter is not None else RateLimiter()
        self._owns_session = session is None
        self._session = session if session is not None else _pooled_session()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._base_headers = {"Content-Type": "application/json", "locale": locale}

    def __repr__(self) -> str:
        return f"BitgetClient(base_url={self.base_url!r}, credentials={self._credentials!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def close(self) -> None:
        """Close the connection pool if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> BitgetClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- the one request path -------------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        signed: bool = False,
        timeout_s: float | None = None,
    ) -> Any:
        """GET `path` and return the envelope's `data`; raises a `BitgetError` subclass on failure."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if signed and self._credentials is None:
            raise ValueError(f"{path} needs credentials: build BitgetClient(credentials=Credentials(...))")
        query = build_query_string(params)
        timeouts = self._timeouts(timeout_s)
        retry_index = 0
        while True:
            self._limiter.acquire(path)
            try:
                return self._send_once(path, query, signed, timeouts)
            except BitgetError as error:
                if retry_index >= self._retry.retries or not is_retryable(error):
                    self.stats.record_error()
                    raise
                self._wait_before_retry(path, error, retry_index)
                retry_index += 1

    def _send_once(self, path: str, query: str, signed: bool, timeouts: tuple[float, float]) -> Any:
        """One attempt. The only place where `requests` exceptions become typed errors."""
        url = f"{self.base_url}{path}?{query}" if query else f"{self.base_url}{path}"
        headers = self._signed_headers(path, query) if signed else dict(self._base_headers)
        self.stats.record_request(path)
        try:
            # Session.send (not .get): the URL goes out exactly as signed; requests never re-encodes it.
            response = self._session.send(_prepare(url, headers), timeout=timeouts)
        except requests.Timeout as exc:
            raise BitgetTimeoutError(self._describe(exc, path), path=path) from exc
        except requests.RequestException as exc:
            # A read timeout while streaming the body surfaces as ConnectionError(ReadTimeoutError).
            kind = BitgetTimeoutError if _caused_by_read_timeout(exc) else BitgetTransportError
            raise kind(self._describe(exc, path), path=path) from exc
        try:
            return data_or_raise(path, response.status_code, response.headers, response.content, self._redact)
        except BitgetRateLimitError:
            self.stats.record_429()
            raise

    def _wait_before_retry(self, path: str, error: BitgetError, retry_index: int) -> None:
        delay = retry_delay(error, self._retry, retry_index, self._jitter)
        if isinstance(error, BitgetRateLimitError):
            # Hold back every thread on this endpoint, not just this one.
            self._limiter.defer(path, delay)
        self.stats.record_retry()
        logger.info(
            "bitget retry",
            extra={
                "path": path,
                "retry": retry_index + 1,
                "delay_s": round(delay, 3),
                "reason": _reason(error),
            },
        )
        self._sleep(delay)

    def _signed_headers(self, path: str, query: str) -> dict[str, str]:
        assert self._credentials is not None  # checked in get()
        timestamp = str(int(self._clock() * 1000))
        signature = sign(prehash(timestamp, "GET", path, query), self._credentials.api_secret)
        return {
            **self._base_headers,
            "ACCESS-KEY": self._credentials.api_key,
            "ACCESS-SIGN": signature,
            "ACCESS-TIMESTAMP": timestamp,
            "ACCESS-PASSPHRASE": self._credentials.passphrase,
        }

    def _timeouts(self, timeout_s: float | None) -> tuple[float, float]:
        read = self._timeout_s if timeout_s is None else timeout_s
        if read <= 0:
            raise ValueError(f"timeout_s must be > 0, got {read!r}")
        return (min(CONNECT_TIMEOUT_S, read), read)

    def _redact(self, text: str) -> str:
        return self._credentials.redact(text) if self._credentials is not None else text

    def _describe(self, exc: Exception, path: str) -> str:
        detail = self._redact(str(exc))[:_ERROR_TEXT_LIMIT]
        return f"{type(exc).__name__} on {path}: {detail}"

    # ---- endpoints ------------------------------------------------------------------------------------

    def server_time_ms(self) -> int:
        """Bitget's clock in ms since the epoch."""
        data = self.get(endpoints.SERVER_TIME)
        return int(data["serverTime"])

    def spot_symbols(self, symbol: str | None = None) -> list[dict]:
        """Spot pairs (all, or the one named)."""
        return list(self.get(endpoints.SPOT_SYMBOLS, {"symbol": symbol}) or [])

    def futures_contracts(self, product_type: str, symbol: str | None = None) -> list[dict]:
        """Futures contracts of one product type (all, or the one named)."""
        params = {"productType": product_type, "symbol": symbol}
        return list(self.get(endpoints.FUTURES_CONTRACTS, params) or [])

    def spot_history_orders(
        self,
        symbol: str | None,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = 100,
        tpsl_type: str = "normal",
        timeout_s: float | None = None,
    ) -> list[dict]:
        """One page of spot order history, newest first; the next page's cursor is the last row's orderId."""
        params = {
            "symbol": symbol,
            "startTime": start_ms,
            "endTime": end_ms,
            "idLessThan": id_less_than,
            "limit": _checked_limit(limit),
            "tpslType": tpsl_type,
        }
        data = self.get(endpoints.SPOT_HISTORY_ORDERS, params, signed=True, timeout_s=timeout_s)
        return list(data or [])

    def spot_plan_history(
        self,
        symbol: str,
        *,
        start_ms: int,
        end_ms: int,
        id_less_than: str | None = None,
        limit: int = 100,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of spot plan history: {"nextFlag": bool, "idLessThan": str|None, "orderList": [...]}."""
        params = {
            "symbol": symbol,
            "startTime": start_ms,
            "endTime": end_ms,
            "idLessThan": id_less_than,
            "limit": _checked_limit(limit),
        }
        data = self.get(endpoints.SPOT_PLAN_HISTORY, params, signed=True, timeout_s=timeout_s) or {}
        return {
            **data,
            "nextFlag": _as_bool(data.get("nextFlag")),
            "idLessThan": data.get("idLessThan") or None,
            "orderList": list(data.get("orderList") or []),
        }

    def futures_history_orders(
        self,
        product_type: str,
        *,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = 100,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of futures order history: {"entrustedList": [...], "endId": str|None}."""
        params = {
            "productType": product_type,
            "symbol": symbol,
            "startTime": start_ms,
            "endTime": end_ms,
            "idLessThan": id_less_than,
            "limit": _checked_limit(limit),
        }
        data = self.get(endpoints.FUTURES_HISTORY_ORDERS, params, signed=True, timeout_s=timeout_s)
        return _futures_page(data)

    def futures_plan_history(
        self,
        product_type: str,
        plan_type: str,
        *,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = 100,
        timeout_s: float | None = None,
    ) -> dict:
        """One page of futures plan history for one planType: {"entrustedList": [...], "endId": str|None}."""
        params = {
            "productType": product_type,
            "planType": plan_type,
            "symbol": symbol,
            "startTime": start_ms,
            "endTime": end_ms,
            "idLessThan": id_less_than,
            "limit": _checked_limit(limit),
        }
        data = self.get(endpoints.FUTURES_PLAN_HISTORY, params, signed=True, timeout_s=timeout_s)
        return _futures_page(data)


# ---- helpers (pure) ------------------------------------------------------------------------------------


def _pooled_session() -> requests.Session:
    session = requests.Session()
    # Retries are ours (bounded, typed, logged): urllib3 must not retry behind our back.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _prepare(url: str, headers: Mapping[str, str]) -> requests.PreparedRequest:
    prepared = requests.Request("GET", url.split("?", 1)[0], headers=dict(headers)).prepare()
    prepared.url = url  # the signed query string, byte for byte
    return prepared


def _caused_by_read_timeout(exc: requests.RequestException) -> bool:
    return bool(exc.args) and isinstance(exc.args[0], ReadTimeoutError)


def _reason(error: BitgetError) -> str:
    if isinstance(error, BitgetAPIError):
        return f"code {error.code}"
    if error.http_status is not None:
        return f"{type(error).__name__} HTTP {error.http_status}"
    return type(error).__name__


def _checked_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_LIMIT}, got {limit!r}")
    return limit


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _futures_page(data: Mapping[str, Any] | None) -> dict:
    data = data or {}
    return {
        **data,
        "entrustedList": list(data.get("entrustedList") or []),
        "endId": data.get("endId") or None,
    }
