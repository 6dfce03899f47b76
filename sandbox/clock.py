"""The server's clock (the local wall clock plus an offset that may change at run time) and the 90-day retention
it measures.

Everything time-dependent reads this clock: `public/time`, `requestTime`, the retention checks (40704 ...), the
ACCESS-TIMESTAMP window, which orders exist yet and which are finished. A sandbox started with an offset behaves
like an exchange whose clock differs from the client's (BITGET_API.md §10g); moving the offset forward
(`advance`, `POST /sandbox/clock`) makes time pass for the account: new orders appear, open orders finish.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

DAY_MS = 24 * 60 * 60 * 1000
HOUR_MS = 60 * 60 * 1000
RETENTION_DAYS = 90
RETENTION_MS = RETENTION_DAYS * DAY_MS  # Bitget serves order history of the last 90 days only


class Clock:
    """Local clock + offset; thread-safe, the offset adjustable while requests are served."""

    def __init__(self, offset_ms: int = 0) -> None:
        self._offset_ms = offset_ms
        self._lock = threading.Lock()

    @property
    def offset_ms(self) -> int:
        with self._lock:
            return self._offset_ms

    def now_ms(self) -> int:
        with self._lock:
            return time.time_ns() // 1_000_000 + self._offset_ms

    def advance(self, ms: int) -> int:
        """Move the clock `ms` (>= 0) forward; returns the new now."""
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise ValueError(f"'advance_ms' must be an integer >= 0 (ms), got {ms!r}")
        with self._lock:
            self._offset_ms += ms
        return self.now_ms()

    def set_offset(self, offset_ms: int) -> int:
        """Server clock = local clock + `offset_ms` from now on (may be < 0 or move backwards); returns now."""
        if isinstance(offset_ms, bool) or not isinstance(offset_ms, int):
            raise ValueError(f"'offset_ms' must be an integer (ms), got {offset_ms!r}")
        with self._lock:
            self._offset_ms = offset_ms
        return self.now_ms()

    def state(self) -> dict[str, int]:
        """`{"now_ms", "offset_ms"}`, read together."""
        with self._lock:
            return {"now_ms": time.time_ns() // 1_000_000 + self._offset_ms, "offset_ms": self._offset_ms}

    def apply(self, body: Any) -> dict[str, int]:
        """Carry out a `POST /sandbox/clock` body: exactly one of `{"advance_ms": N >= 0}` or
        `{"offset_ms": N}`; ValueError says what is wrong."""
        if not isinstance(body, Mapping) or len(body) != 1:
            raise ValueError(
                'the body must be a JSON object with one field: {"advance_ms": N} or {"offset_ms": N}'
            )
        name, value = next(iter(body.items()))
        if name == "advance_ms":
            self.advance(value)
        elif name == "offset_ms":
            self.set_offset(value)
        else:
            raise ValueError(f"unknown clock field {name!r} (known: advance_ms, offset_ms)")
        return self.state()
