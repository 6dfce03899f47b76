"""Thread-safe counters of what a client sent and what came back."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ClientStats:
    """Counters shared by every thread using one client; read them with `snapshot()`."""

    requests: int = 0  # HTTP attempts sent, retries included
    retries: int = 0  # attempts repeated after a retryable failure
    http_429: int = 0  # rate-limited answers (HTTP 429 or code "429")
    errors: int = 0  # errors raised to the caller (after retries)
    per_path: dict[str, int] = field(default_factory=dict)  # attempts per endpoint path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_request(self, path: str) -> None:
        with self._lock:
            self.requests += 1
            self.per_path[path] = self.per_path.get(path, 0) + 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def record_429(self) -> None:
        with self._lock:
            self.http_429 += 1

    def record_error(self) -> None:
        with self._lock:
            self.errors += 1

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy: {"requests", "retries", "http_429", "errors", "per_path": {path: n}}."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "http_429": self.http_429,
                "errors": self.errors,
                "per_path": dict(self.per_path),
            }
