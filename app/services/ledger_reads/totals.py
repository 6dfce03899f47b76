"""Aggregates the read side would otherwise recompute on every request, kept while what they count is unchanged.

- An execution's page totals: a saved execution's unfiltered total is its `orders_saved` (the number of its
  links); any other total (a symbol or stream filter, or an execution still saving) is counted once over the
  link index and kept while the execution's record is unchanged: every hydration step and every replacement
  of its links updates the record (`hydration_state`, `orders_saved`, `updated_at`).
- The accounts' per-stream counts and first/last order times (GET /accounts, /accounts/{id}): kept while the
  executions table is unchanged (`summaries.ledger_stamp`): the ledger only changes through an execution's
  hydration or removal, and both change that table.

The caches are per process and bounded (least recently used entries go first); a changed stamp means stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

MAX_ENTRIES = 4096
T = TypeVar("T")


class StampedCache(Generic[T]):
    """{key: (stamp, value)}, thread-safe, at most `max_entries` entries."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, T]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.computed = 0  # how many values were really computed (tests read it)

    def get(self, key: Hashable, stamp: Any, compute: Callable[[], T]) -> T:
        """The cached value of `key` when its stamp still matches, else `compute()` (then cached)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == stamp:
                self._entries.move_to_end(key)
                return entry[1]
        value = compute()  # outside the lock: two threads may both compute once; both get the right value
        with self._lock:
            self.computed += 1
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value
