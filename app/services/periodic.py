"""A function called every `interval_s` seconds in a daemon thread, started and stopped by the API's lifespan.

The first call comes after `first_delay_s`; a call that raises is logged and the next one comes on time (a
background task never takes the service down); `stop()` wakes the thread at once and waits for the call in
progress to return.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicTask:
    def __init__(
        self, name: str, interval_s: float, call: Callable[[], object], *, first_delay_s: float = 0.0
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.name = name
        self.interval_s = interval_s
        self.first_delay_s = first_delay_s
        self.call = call
        self.runs = 0  # calls completed (tests, diagnostics)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> PeriodicTask:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        if self._stop.wait(self.first_delay_s):
            return
        while True:
            try:
                self.call()
            except Exception:
                log.exception("background task failed", extra={"task": self.name})
            self.runs += 1
            if self._stop.wait(self.interval_s):
                return
