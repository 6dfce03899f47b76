"""The server's clock (the local wall clock plus a configurable offset) and the 90-day retention it measures.

Everything time-dependent reads this clock: `public/time`, `requestTime`, the retention checks (40704 ...), the
data anchor and the ACCESS-TIMESTAMP window, so a sandbox started with an offset behaves like an exchange whose
clock differs from the client's (BITGET_API.md §10g).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
RETENTION_DAYS = 90
RETENTION_MS = RETENTION_DAYS * DAY_MS  # Bitget serves order history of the last 90 days only


@dataclass(frozen=True)
class Clock:
    offset_ms: int = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms
