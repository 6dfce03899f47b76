"""Typed errors of the Bitget client. Callers catch these, never `requests` exceptions.

    BitgetError                      anything the client raises about a request
     ├── BitgetAPIError              Bitget answered with a code other than "00000"
     │    └── BitgetRateLimitError   HTTP 429 or code "429" (raised once retries are exhausted)
     └── BitgetTransportError        no usable answer: reset, truncated/invalid body, bare 5xx
          └── BitgetTimeoutError     connect or read timeout

Library errors are translated into these at one boundary in `transport.py` (`raise ... from exc`). Messages name
the endpoint path and Bitget's code/text, never parameters or credentials.
"""

from __future__ import annotations

from lambda_functions.common.bitget.codes import RATE_LIMIT_CODE


class BitgetError(Exception):
    """Base class: a request to Bitget failed."""

    def __init__(self, message: str, *, path: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.http_status = http_status


class BitgetAPIError(BitgetError):
    """Bitget answered with an error envelope: `code` is Bitget's code as a string (e.g. "40034"), `message`
    its text (`msg`, or `message` in some envelopes) with any credential scrubbed out."""

    def __init__(
        self,
        code: str,
        message: str,
        http_status: int | None = None,
        *,
        path: str | None = None,
        request_time_ms: int | None = None,
    ) -> None:
        self.code = str(code)
        self.request_time_ms = request_time_ms
        status = f", HTTP {http_status}" if http_status is not None else ""
        where = f" on {path}" if path else ""
        super().__init__(
            f"Bitget error {self.code}{status}{where}: {message}", path=path, http_status=http_status
        )
        self.message = message


class BitgetRateLimitError(BitgetAPIError):
    """Rate limited (HTTP 429 / code "429"); `retry_after_s` is the server's hint when it gave one."""

    def __init__(
        self,
        code: str = RATE_LIMIT_CODE,
        message: str = "Too Many Requests",
        http_status: int | None = 429,
        *,
        path: str | None = None,
        request_time_ms: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(code, message, http_status, path=path, request_time_ms=request_time_ms)
        self.retry_after_s = retry_after_s


class BitgetTransportError(BitgetError):
    """No usable answer: connection reset, truncated or invalid body, or a 5xx without a Bitget envelope."""


class BitgetTimeoutError(BitgetTransportError):
    """The connect or read timeout expired."""
