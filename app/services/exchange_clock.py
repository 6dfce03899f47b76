"""Bitget's clock as the API sees it, for what the API says about time against Bitget's retention.

Gaps older than Bitget's 90 days, and whether the next sync is due too late, are measured from the
exchange's "now", not this machine's (they differ on a machine whose clock is off, and by design in the
sandbox, whose clock can be moved forward). The offset is the client's own `ServerClock`, learned from the
exchange's public time endpoint and kept `ttl_s`; when the exchange cannot be asked, the last offset (none:
the local clock) is used and the log says so once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from lambda_functions.common.bitget import BitgetClient, BitgetError, RetryPolicy
from lambda_functions.common.bitget.server_clock import Sample, ServerClock

log = logging.getLogger(__name__)


class ExchangeClock:
    def __init__(
        self,
        base_url: str,
        *,
        ttl_s: float = 5.0,
        timeout_s: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        client = BitgetClient(base_url, timeout_s=timeout_s, retry=RetryPolicy(retries=0))

        def sample() -> Sample:
            sent = clock()
            return Sample(client.server_time_ms(), sent, clock())

        self._server = ServerClock(sample, clock=clock, ttl_s=ttl_s)
        self._clock, self._ttl_s = clock, ttl_s
        self._failed_at: float | None = None
        self._warned = False

    def now_ms(self) -> int:
        failed_at = self._failed_at
        if failed_at is not None and 0 <= self._clock() - failed_at < self._ttl_s:
            return self._server.timestamp_ms()  # a dead exchange must not slow every call
        try:
            return self._server.now_ms()
        except (BitgetError, ValueError, TypeError) as exc:
            self._failed_at = self._clock()
            if not self._warned:
                log.warning(
                    "exchange time unavailable, using the local clock", extra={"error": type(exc).__name__}
                )
                self._warned = True
            return self._server.timestamp_ms()
