"""Bitget's clock as the API sees it, for what the API says about time against Bitget's retention.

Gaps older than Bitget's 90 days, and whether the next sync is due too late, are measured from the
exchange's "now", not this machine's (they differ on a machine whose clock is off, and by design in the
sandbox, whose clock can be moved forward). `now_ms()` asks the exchange's public time endpoint, keeps the
offset for `ttl_s`, and falls back to the local clock (saying so in the log once) when the exchange cannot
be asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from lambda_functions.common.bitget import BitgetClient, BitgetError, RetryPolicy

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
        self._client = BitgetClient(base_url, timeout_s=timeout_s, retry=RetryPolicy(retries=0))
        self._ttl_s = ttl_s
        self._clock = clock
        self._offset_ms = 0
        self._learned_at: float | None = None
        self._warned = False
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            local = self._clock()
            if self._learned_at is None or not 0 <= local - self._learned_at < self._ttl_s:
                self._learn(local)
            return int(self._clock() * 1000) + self._offset_ms

    def _learn(self, local: float) -> None:
        try:
            server_ms = self._client.server_time_ms()
        except (BitgetError, ValueError, TypeError) as exc:
            if not self._warned:
                log.warning(
                    "exchange time unavailable, using the local clock", extra={"error": type(exc).__name__}
                )
                self._warned = True
            self._learned_at = (
                local  # not asked again before the TTL: a dead exchange must not slow every call
            )
            return
        self._offset_ms = server_ms - int((local + self._clock()) * 500)
        self._learned_at = local
