"""Bitget's clock, as the local clock plus an offset learned from `GET /api/v2/public/time`.

The local clock is never trusted on its own: a laptop two minutes off would compute wrong order windows and
sign timestamps Bitget refuses (40008: more than 30 s from its clock, BITGET_API.md §10g). The offset is
`serverTime − (local time halfway through the round trip)`, learned the first time it is needed and learned
again once it is older than `ttl_s`. Many threads asking at once cause one fetch; the others wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_TTL_S = 60.0


@dataclass(frozen=True)
class Sample:
    """One reading of the server clock: its time, and the local times the exchange of it began and ended."""

    server_ms: int
    sent_s: float
    received_s: float

    @property
    def offset_ms(self) -> int:
        """Server minus local clock, taking the server's reading to be from halfway through the round trip."""
        return self.server_ms - round((self.sent_s + self.received_s) * 500)


@dataclass(frozen=True)
class _Offset:
    offset_ms: int
    learned_at_s: float  # local clock
    generation: int


class ServerClock:
    """Thread-safe server time: `now_ms()` may fetch; `timestamp_ms()` never does."""

    def __init__(
        self,
        fetch: Callable[[], Sample],
        *,
        clock: Callable[[], float] = time.time,
        ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s!r}")
        self._fetch = fetch
        self._clock = clock
        self._ttl_s = ttl_s
        self._known: _Offset | None = None  # replaced whole, so readers need no lock
        self._fetching = threading.Lock()  # one fetch at a time

    @property
    def offset_ms(self) -> int | None:
        """Server minus local clock in ms, None until learned."""
        known = self._known
        return None if known is None else known.offset_ms

    @property
    def generation(self) -> int:
        """How many times the offset was learned; lets a caller ask for a re-sync only if nobody did since."""
        known = self._known
        return 0 if known is None else known.generation

    def now_ms(self) -> int:
        """Bitget's time now in ms; fetches the offset first when it is unknown or older than the TTL."""
        if not self._fresh(self._known):
            with self._fetching:
                if not self._fresh(self._known):  # another thread may have fetched while we waited
                    self._learn()
        return self.timestamp_ms()

    def timestamp_ms(self) -> int:
        """The local clock adjusted by the last known offset (none yet: the local clock). No I/O."""
        known = self._known
        return int(self._clock() * 1000) + (0 if known is None else known.offset_ms)

    def sync(self) -> Sample:
        """Fetch the server time now and learn the offset from it."""
        with self._fetching:
            return self._learn()

    def resync(self, seen_generation: int) -> bool:
        """Learn the offset again unless someone did after `seen_generation`; True when this call fetched."""
        with self._fetching:
            if self.generation != seen_generation:
                return False
            self._learn()
            return True

    def _fresh(self, known: _Offset | None) -> bool:
        # A negative age (the local clock stepped back) is as suspect as an old one.
        return known is not None and 0 <= self._clock() - known.learned_at_s < self._ttl_s

    def _learn(self) -> Sample:
        sample = self._fetch()
        self._known = _Offset(sample.offset_ms, sample.received_s, self.generation + 1)
        return sample
