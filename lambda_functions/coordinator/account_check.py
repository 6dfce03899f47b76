"""The account-level pre-check: one signed request to Bitget before an execution starts.

`GET /api/v2/spot/account/info` needs a valid key, secret, passphrase and timestamp, an allowed IP and a key
of a classic account. A Unified Trading Account's key gets 40085 there (before its signature is even checked,
BITGET_API.md §10f): the check then asks `GET /api/v3/account/settings`, whose answer makes the account
`unified` (its `uid` is the account id) and whose refusal names the real problem. The check says which mode it
found (`account_mode`), and the workers page the endpoints of that mode (common/account_mode.py).

A failure would fail every stream of every symbol, so it stops the execution before it starts, with a message
that names the problem and Bitget's code and text:

    credentials          401  40001-40012, 40036, 40037 (key, passphrase, signature or timestamp refused)
    ip_not_allowed       403  40018 (this machine's IP is not in the key's whitelist)
    permission_missing   403  40014 (the key lacks a read permission)

Anything else (HTTP 429, 5xx, timeouts, resets, an answer we cannot classify) proves nothing about the account:
the check is `unverified`, a warning is logged and the execution starts anyway; its workers then report what
went wrong per stream. On success the check carries the account's `userId`.

Bitget's clock (`/api/v2/public/time`, `ServerClock`) is read while the signed request goes out, and gives the
coordinator its "now" for the window. The signed request uses the local clock until Bitget refuses its
timestamp (40008/40005); the client then learns Bitget's offset and asks again, so a local clock minutes off
is not mistaken for bad credentials (one more round trip, only then). A successful check is remembered for `ok_ttl_s` (Bitget allows this
endpoint once per second per account); concurrent callers share one request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import requests

from lambda_functions.common.account_mode import CLASSIC, UNIFIED, UNIFIED_ON_V2
from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetClient,
    BitgetError,
    Credentials,
    RateLimiter,
    RetryPolicy,
)
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.bitget.server_clock import Sample, ServerClock
from lambda_functions.common.bitget.session import pooled_session

log = logging.getLogger(__name__)

ACCOUNT_INFO = "/api/v2/spot/account/info"
ACCOUNT_INFO_LIMIT = 1.0  # requests per second per account (BITGET_API.md §11)
DEFAULT_OK_TTL_S = 60.0
DEFAULT_TIMEOUT_S = 5.0

CREDENTIAL_CODES = frozenset({str(code) for code in range(40001, 40013)} | {"40036", "40037"})
CLOCK_CODES = frozenset({"40004", "40005", "40008"})

CheckStatus = Literal["ok", "rejected", "unverified"]


@dataclass(frozen=True)
class Rejection:
    problem: str
    http_status: int
    explanation: str


def classify(error: BitgetAPIError) -> Rejection | None:
    """The account-level problem a Bitget error code stands for; None when it says nothing about the account."""
    code = error.code
    if code in CLOCK_CODES:
        return Rejection(
            "credentials", 401, "the request timestamp was refused: this machine's clock may be off"
        )
    if code in CREDENTIAL_CODES:
        return Rejection("credentials", 401, "the API key, secret or passphrase is wrong")
    if code == "40018":
        return Rejection(
            "ip_not_allowed", 403, "this machine's IP address is not in the API key's IP whitelist"
        )
    if code == "40014":
        return Rejection(
            "permission_missing",
            403,
            "the API key lacks a permission (read access to spot and futures orders)",
        )
    return None


@dataclass(frozen=True)
class AccountCheck:
    """The outcome of one check; `as_dict()` is what responses and /info show (never a secret)."""

    status: CheckStatus
    message: str
    account_id: str | None = None  # Bitget's userId, on success
    problem: str | None = None  # on rejection: credentials | unified_account | ip_not_allowed | ...
    http_status: int | None = None  # on rejection: what POST /orders answers
    code: str | None = None  # Bitget's code, when it answered with one
    bitget_message: str | None = None  # Bitget's text (credentials redacted by the client)
    clock_offset_ms: int | None = None  # Bitget's clock minus ours, when it could be read
    checked_at_ms: int | None = None
    account_mode: str | None = None  # classic | unified, on success

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"

    def as_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    def error_body(self) -> dict[str, Any]:
        """The coordinator's error response body for a rejection."""
        return {
            "error": f"{self.message} Nothing was started.",
            "problem": self.problem,
            "bitget_code": self.code,
            "bitget_message": self.bitget_message,
        }


class AccountChecker:
    """Checks one account's credentials against one exchange; thread-safe, remembers a success for a while.

    `credentials` is the credentials or a function returning them (read lazily, e.g. from Secrets Manager;
    a ValueError from it names the problem and is reported as `credentials_unavailable`)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | Callable[[], Credentials | None] | None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        ok_ttl_s: float = DEFAULT_OK_TTL_S,
        retry: RetryPolicy = RetryPolicy(retries=1, base_delay_s=0.2, max_delay_s=1.0),  # noqa: B008
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url
        self._credentials_source = credentials
        self._credentials: Credentials | None = credentials if isinstance(credentials, Credentials) else None
        self._timeout_s = timeout_s
        self._ok_ttl_s = ok_ttl_s
        self._retry = retry
        self._owns_session = session is None
        self._session = session if session is not None else pooled_session()  # one pool for both clients
        self._clock = clock
        self._limiter = RateLimiter(
            {
                ACCOUNT_INFO: ACCOUNT_INFO_LIMIT,
                ep.SERVER_TIME: 20.0,
                ep.UTA_SETTINGS: ep.PUBLISHED_LIMITS[ep.UTA_SETTINGS],
            }
        )
        self._public = BitgetClient(
            base_url,
            timeout_s=timeout_s,
            retry=retry,
            limiter=self._limiter,
            session=self._session,
            clock=clock,
        )
        self.server_clock = ServerClock(self._sample, clock=clock)
        self._signed: BitgetClient | None = None
        self._last_ok: tuple[float, AccountCheck] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AccountChecker(base_url={self.base_url!r})"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def check(self) -> AccountCheck:
        """The account check: a remembered success, or one signed request now."""
        with self._lock:
            if self._last_ok is not None and 0 <= self._clock() - self._last_ok[0] < self._ok_ttl_s:
                return self._last_ok[1]
            result = self._check_now()
            if result.status == "ok":
                self._last_ok = (self._clock(), result)
            return result

    def _check_now(self) -> AccountCheck:
        # Bitget's clock is read while the signed request goes out (signed with the last known offset, else
        # the local clock): one round trip instead of two. A clock too far off gets 40008, and the client
        # then re-syncs and asks again.
        with ThreadPoolExecutor(1, thread_name_prefix="account-clock") as pool:
            clock_job = pool.submit(self._clock_offset_ms)
            outcome = self._ask_account()
            offset = clock_job.result()
        checked_at = self.server_clock.timestamp_ms()
        if isinstance(outcome, AccountCheck):
            return replace(outcome, clock_offset_ms=offset, checked_at_ms=checked_at)
        if isinstance(outcome, BitgetError):
            return self._failure(outcome, offset, checked_at)
        mode, data = outcome
        user_id = data.get("uid" if mode == UNIFIED else "userId") if isinstance(data, dict) else None
        account_id = str(user_id) if user_id not in (None, "") else None
        return AccountCheck(
            "ok",
            f"Bitget accepted the API key ({mode} account {account_id or 'unknown'})",
            account_id=account_id,
            clock_offset_ms=offset,
            checked_at_ms=checked_at,
            account_mode=mode,
        )

    def _ask_account(self) -> Any:
        """Bitget's answer to the signed request (its data, or the error), or the check's verdict when no
        request could be signed."""
        try:
            client = self._signed_client()
        except ValueError as exc:  # the secret could not be read or is malformed; the text names no value
            return AccountCheck(
                "rejected", f"the Bitget credentials could not be read: {exc}", problem="credentials_unavailable",
                http_status=502,
            )  # fmt: skip
        if client is None:
            return AccountCheck(
                "rejected",
                "no Bitget API credentials are configured: signed requests cannot succeed",
                problem="credentials_missing",
                http_status=401,
            )
        try:
            return CLASSIC, client.get(ACCOUNT_INFO, signed=True, timeout_s=self._timeout_s)
        except BitgetAPIError as error:
            if str(error.code) != UNIFIED_ON_V2:
                return error
        except BitgetError as error:
            return error
        try:  # a unified account's key, or a wrong secret (40085 comes before the signature check)
            return UNIFIED, client.uta_settings(timeout_s=self._timeout_s)
        except BitgetError as error:
            return error

    def _failure(self, error: BitgetError, offset: int | None, checked_at: int) -> AccountCheck:
        code = error.code if isinstance(error, BitgetAPIError) else None
        text = error.message if isinstance(error, BitgetAPIError) else None
        rejection = classify(error) if isinstance(error, BitgetAPIError) else None
        if rejection is None:
            reason = f"Bitget code {code}: {text}" if code else type(error).__name__
            log.warning("account check unverified", extra={"reason": reason, "path": ACCOUNT_INFO})
            return AccountCheck(
                "unverified",
                f"the account could not be checked ({reason}); extraction starts anyway",
                code=code, bitget_message=text, clock_offset_ms=offset, checked_at_ms=checked_at,
            )  # fmt: skip
        log.warning("account check rejected", extra={"problem": rejection.problem, "code": code})
        return AccountCheck(
            "rejected",
            f"Bitget refused the account: {rejection.explanation} (Bitget code {code}: {text}).",
            problem=rejection.problem, http_status=rejection.http_status, code=code, bitget_message=text,
            clock_offset_ms=offset, checked_at_ms=checked_at,
        )  # fmt: skip

    def fresh_clock_offset_ms(self) -> int | None:
        """Bitget's clock minus ours, read now (one public request), whatever was learned before: an
        account-wide execution's window ends at Bitget's "now", which a sync's high-water mark relies on."""
        try:
            self.server_clock.sync()
        except (BitgetError, KeyError, TypeError, ValueError) as error:
            log.warning("server time unavailable", extra={"reason": type(error).__name__})
        return self.server_clock.offset_ms

    def _clock_offset_ms(self) -> int | None:
        """Bitget's clock minus ours (learned at most once per minute); None when the server time is unreadable."""
        try:
            self.server_clock.now_ms()
        except (BitgetError, KeyError, TypeError, ValueError) as error:  # no answer, or not a server time
            log.warning("server time unavailable", extra={"reason": type(error).__name__})
        return self.server_clock.offset_ms

    def _sample(self) -> Sample:
        sent = self._clock()
        server_ms = self._public.server_time_ms()
        return Sample(server_ms, sent, self._clock())

    def _signed_client(self) -> BitgetClient | None:
        if self._signed is not None:
            return self._signed
        if self._credentials is None and callable(self._credentials_source):
            self._credentials = self._credentials_source()
        if self._credentials is None:
            return None
        self._signed = BitgetClient(
            self.base_url,
            self._credentials,
            timeout_s=self._timeout_s,
            retry=self._retry,
            limiter=self._limiter,
            session=self._session,
            # Its own view of Bitget's clock: signs with the local clock until a 40008/40005 makes it learn the
            # offset and ask again (the checker's server_clock is read at the same time, for the window's "now").
            clock=self._clock,
        )
        return self._signed
