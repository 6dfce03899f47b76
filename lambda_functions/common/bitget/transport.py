"""The one request path under `BitgetClient`: rate-limit ticket, signing, sending, retries, server time.

Every call goes through `BitgetTransport._request`: take a rate-limit ticket, sign (a fresh timestamp on
Bitget's clock per attempt, `server_clock.py`), send the exact signed URL over a pooled `requests.Session`,
give the ticket back with the remaining-quota header, then turn the answer into the envelope's `data` or a
typed error (`envelope.py`, `errors.py`). `requests` exceptions are translated in one place, `_send_once`.
Retryable failures (`retry.py`) are retried with jittered exponential backoff; a refused timestamp
(40008/40005) re-syncs the clock offset and repeats the request once; the rest raise at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Self

import requests
from urllib3.exceptions import ReadTimeoutError

from lambda_functions.common.bitget import endpoints
from lambda_functions.common.bitget.credentials import Credentials
from lambda_functions.common.bitget.envelope import data_or_raise, remaining_quota
from lambda_functions.common.bitget.errors import (
    BitgetAPIError,
    BitgetError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
)
from lambda_functions.common.bitget.rate_limit import RateLimiter
from lambda_functions.common.bitget.retry import RetryPolicy, is_clock_error, is_retryable, retry_delay
from lambda_functions.common.bitget.server_clock import DEFAULT_TTL_S, Sample, ServerClock
from lambda_functions.common.bitget.session import pooled_session
from lambda_functions.common.bitget.signing import build_query_string, prehash, sign
from lambda_functions.common.bitget.stats import ClientStats

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.bitget.com"
CONNECT_TIMEOUT_S = 5.0  # connecting is quick or broken; the read timeout is the caller's budget
_ERROR_TEXT_LIMIT = 300


class _Answer(NamedTuple):
    data: Any  # the envelope's data
    sent_s: float  # local clock just before the request was signed and sent
    received_s: float  # local clock once the whole answer was read


class BitgetTransport:
    """The request path shared by every endpoint method: thread-safe; construction does no network I/O."""

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
        server_time_ttl_s: float = DEFAULT_TTL_S,
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
        self._session = session if session is not None else pooled_session()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._base_headers = {"Content-Type": "application/json", "locale": locale}
        self._server_clock = ServerClock(self._time_sample, clock=clock, ttl_s=server_time_ttl_s)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, credentials={self._credentials!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def close(self) -> None:
        """Close the connection pool if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- server time ----------------------------------------------------------------------------------

    def server_time_ms(self) -> int:
        """Bitget's clock in ms since the epoch (one request); also refreshes the offset `server_now_ms` uses."""
        return self._server_clock.sync().server_ms

    def server_now_ms(self) -> int:
        """Bitget's clock now, in ms: the local clock plus the offset learned from /api/v2/public/time.

        The offset is fetched the first time it is needed and again once it is older than `server_time_ttl_s`;
        threads asking at once share one fetch. Raises a `BitgetError` when the time cannot be fetched."""
        return self._server_clock.now_ms()

    @property
    def clock_offset_ms(self) -> int | None:
        """Bitget's clock minus the local clock in ms, None until learned. Signed requests use it."""
        return self._server_clock.offset_ms

    def _time_sample(self) -> Sample:
        answer = self._request(endpoints.SERVER_TIME, None, signed=False, timeout_s=None)
        try:
            server_ms = int(answer.data["serverTime"])
        except (TypeError, KeyError, ValueError) as exc:
            raise BitgetTransportError(
                f"no serverTime in the answer on {endpoints.SERVER_TIME}", path=endpoints.SERVER_TIME
            ) from exc
        return Sample(server_ms, answer.sent_s, answer.received_s)

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
        return self._request(path, params, signed=signed, timeout_s=timeout_s).data

    def _request(
        self, path: str, params: Mapping[str, object] | None, *, signed: bool, timeout_s: float | None
    ) -> _Answer:
        """Attempts until one succeeds, a failure is not retryable, or the retry budget is spent."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if signed and self._credentials is None:
            raise ValueError(f"{path} needs credentials: build BitgetClient(credentials=Credentials(...))")
        query = build_query_string(params)
        timeouts = self._timeouts(timeout_s)
        retry_index, resynced = 0, False
        while True:
            generation = self._server_clock.generation
            try:
                return self._attempt(path, query, signed, timeouts)
            except BitgetError as error:
                if signed and not resynced and is_clock_error(error):
                    # Our timestamp was refused: learn Bitget's clock again and repeat once (not a retry).
                    self._resync_clock(path, error, generation)
                    resynced = True
                    continue
                if retry_index >= self._retry.retries or not is_retryable(error):
                    self.stats.record_error()
                    raise
                self._wait_before_retry(path, error, retry_index)
                retry_index += 1

    def _attempt(self, path: str, query: str, signed: bool, timeouts: tuple[float, float]) -> _Answer:
        """One attempt under one rate-limit ticket, given back as soon as the answer is in (or failed)."""
        ticket = self._limiter.acquire(path)
        remaining: float | None = None
        try:
            sent_s = self._clock()
            response = self._send_once(path, query, signed, timeouts)
            received_s = self._clock()
            remaining = remaining_quota(response.headers)
        finally:
            self._limiter.release(ticket, remaining=remaining)
        try:
            data = data_or_raise(path, response.status_code, response.headers, response.content, self._redact)
        except BitgetRateLimitError:
            self.stats.record_429()
            raise
        return _Answer(data, sent_s, received_s)

    def _send_once(
        self, path: str, query: str, signed: bool, timeouts: tuple[float, float]
    ) -> requests.Response:
        """Sign and send. The only place where `requests` exceptions become typed errors."""
        url = f"{self.base_url}{path}?{query}" if query else f"{self.base_url}{path}"
        headers = self._signed_headers(path, query) if signed else dict(self._base_headers)
        self.stats.record_request(path)
        try:
            # Session.send (not .get): the URL goes out exactly as signed; requests never re-encodes it.
            return self._session.send(_prepare_get(url, headers), timeout=timeouts)
        except requests.Timeout as exc:
            raise BitgetTimeoutError(self._describe(exc, path), path=path) from exc
        except requests.RequestException as exc:
            kind = BitgetTimeoutError if _caused_by_read_timeout(exc) else BitgetTransportError
            raise kind(self._describe(exc, path), path=path) from exc

    def _resync_clock(self, path: str, error: BitgetError, generation: int) -> None:
        try:
            self._server_clock.resync(generation)  # threads refused together share one fetch
        except BitgetError as sync_error:  # already counted as an error by its own request
            raise error from sync_error
        self.stats.record_retry()
        logger.warning(
            "bitget clock resync",
            extra={"path": path, "reason": _reason(error), "offset_ms": self._server_clock.offset_ms},
        )

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
        assert self._credentials is not None  # checked in _request()
        timestamp = str(self._server_clock.timestamp_ms())  # local clock + Bitget's offset once known
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


# ---- helpers (pure) ------------------------------------------------------------------------------------


def _reason(error: BitgetError) -> str:
    if isinstance(error, BitgetAPIError):
        return f"code {error.code}"
    if error.http_status is not None:
        return f"{type(error).__name__} HTTP {error.http_status}"
    return type(error).__name__


def _prepare_get(url: str, headers: Mapping[str, str]) -> requests.PreparedRequest:
    """A GET for `Session.send` whose URL is exactly `url` (requests would re-encode the query otherwise)."""
    prepared = requests.Request("GET", url.split("?", 1)[0], headers=dict(headers)).prepare()
    prepared.url = url  # the signed query string, byte for byte
    return prepared


def _caused_by_read_timeout(exc: requests.RequestException) -> bool:
    """A read timeout while streaming the body surfaces as ConnectionError(ReadTimeoutError)."""
    return bool(exc.args) and isinstance(exc.args[0], ReadTimeoutError)
