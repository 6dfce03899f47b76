"""Totals of an execution's pages without a COUNT per page.

A saved execution's unfiltered total is its `orders_saved` (the number of its links). Any other total (a
symbol or stream filter, or an execution still saving) is counted once over the link index and kept in this
process while the execution's record is unchanged: every hydration step and every replacement of the links
updates the record (`hydration_state`, `orders_saved`, `updated_at`), so a changed stamp means a stale count.
The cache is per process and bounded (least recently used entries go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 4096


class TotalsCache:
    """{key: (stamp, total)}, thread-safe, at most `max_entries` entries."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.counted = 0  # how many totals were really counted (tests and the benchmark read it)

    def total(self, key: Hashable, stamp: Any, count: Callable[[], int]) -> int:
        """The cached total of `key` when its stamp still matches, else `count()` (then cached)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == stamp:
                self._entries.move_to_end(key)
                return entry[1]
        value = count()  # outside the lock: two threads may both count once; both get the right number
        with self._lock:
            self.counted += 1
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value
