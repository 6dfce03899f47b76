"""Fault injection for /api/ paths: latency, 5xx, 429 bursts, hangs, connection resets, truncated bodies,
short pages.

One seeded RNG draw per request picks at most one fault: the rates partition [0, 1), so each fault happens at
its configured rate and a fixed seed and request sequence give the same faults every run. A drawn `short_page`
only acts on a history page of two rows or more (shortpage.py); elsewhere the request is answered normally.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

# New kinds go last: the partition of [0, 1) then stays the same for configurations that do not use them.
FAULT_KINDS = ("error_5xx", "burst_429", "timeout", "reset", "truncate", "short_page")


@dataclass(frozen=True)
class FaultConfig:
    error_5xx: float = 0.0
    burst_429: float = 0.0
    timeout: float = 0.0
    reset: float = 0.0
    truncate: float = 0.0
    short_page: float = 0.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    timeout_s: float = 10.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def parse_fault_config(raw: dict[str, Any]) -> FaultConfig:
    """A validated FaultConfig; ValueError names the bad field. Fields not given are 0 (timeout_s: 10)."""
    known = FaultConfig.__dataclass_fields__
    values: dict[str, float] = {}
    for name, value in raw.items():
        if name not in known:
            raise ValueError(f"unknown fault field {name!r} (known: {', '.join(known)})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"fault field {name!r} must be a number")
        if name in FAULT_KINDS and not 0 <= value <= 1:
            raise ValueError(f"fault field {name!r} is a rate and must be between 0 and 1")
        if value < 0:
            raise ValueError(f"fault field {name!r} must be >= 0")
        values[name] = float(value)
    if sum(values.get(kind, 0.0) for kind in FAULT_KINDS) > 1:
        raise ValueError(f"fault rates ({', '.join(FAULT_KINDS)}) must add up to at most 1")
    return FaultConfig(**values)


class FaultInjector:
    def __init__(self, seed: int, config: FaultConfig | None = None) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration and restart the random sequences (so runs are reproducible)."""
        with self._lock:
            self.config = config
            self._fault_rng = random.Random(f"{self._seed}|faults")
            self._latency_rng = random.Random(f"{self._seed}|latency")
            self._short_rng = random.Random(f"{self._seed}|short_page")

    def short_length(self, rows: int) -> int:
        """How many of a page's `rows` (>= 2) a short page keeps: 1 .. rows - 1, seeded."""
        with self._lock:
            return self._short_rng.randint(1, rows - 1)

    def draw(self) -> tuple[float, str | None]:
        """(delay in seconds, fault kind or None) for the next request."""
        with self._lock:
            config = self.config
            delay_ms = config.latency_ms
            if config.jitter_ms:
                delay_ms = max(0.0, delay_ms + self._latency_rng.uniform(-config.jitter_ms, config.jitter_ms))
            point, edge = self._fault_rng.random(), 0.0
            for kind in FAULT_KINDS:
                edge += getattr(config, kind)
                if point < edge:
                    return delay_ms / 1000, kind
            return delay_ms / 1000, None
