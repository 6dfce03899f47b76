"""Live progress of a running execution, from what GET /orders/{arn} says while it runs.

The status's `progress` holds `symbols_done`/`symbols_total` (a symbol, or an account unit, is done when its
worker wrote its detail file). When the service also reports `streams_done`/`streams_total`, `orders` (fetched so
far), `requests` (sent so far) and `requests_limit_per_s` (the account's limit), they are shown too:
requests/s is measured here from successive polls. The ETA extrapolates the elapsed time over the streams (else
the symbols) still to do. On a terminal this is a live bar; otherwise (logs, CI, pipes) one plain line on
stderr whenever the status or a count changes, and every 10 s.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn

from bitget_orders.dates import duration

RATE_WINDOW_S = 5.0  # requests/s averaged over the last few seconds of polls
PLAIN_EVERY_S = 10.0


@dataclass(frozen=True)
class Snapshot:
    """What the user sees at one poll."""

    status: str
    elapsed_s: float | None
    unit: str = "symbols"
    symbols_done: int | None = None
    symbols_total: int | None = None
    streams_done: int | None = None
    streams_total: int | None = None
    orders: int | None = None
    requests_per_s: float | None = None
    limit_per_s: float | None = None
    eta_s: float | None = None
    saving: str | None = None

    def counts(self) -> list[tuple[str, str]]:
        """(unit, `done/total`) for the symbols (or account units) and, when reported, the streams."""
        counts = []
        if self.symbols_total is not None:
            counts.append((self.unit, f"{self.symbols_done or 0}/{self.symbols_total}"))
        if self.streams_total is not None:
            counts.append(("streams", f"{self.streams_done or 0}/{self.streams_total}"))
        return counts

    def extras(self) -> list[str]:
        parts = []
        if self.orders is not None:
            parts.append(f"orders {self.orders:,}")
        if self.requests_per_s is not None:
            limit = f" of {self.limit_per_s:g}/s allowed" if self.limit_per_s else ""
            parts.append(f"requests {self.requests_per_s:.1f}/s{limit}")
        if self.status == "RUNNING":
            parts.append(f"ETA {duration(self.eta_s)}" if self.eta_s is not None else "ETA -")
        if self.saving:
            parts.append(self.saving)
        return parts

    def parts(self) -> list[str]:
        """The line's parts, without the elapsed time (changes in these are worth a new plain line)."""
        return [self.status] + [f"{unit} {value}" for unit, value in self.counts()] + self.extras()

    def milestone(self) -> list[str]:
        """What a new plain line is printed for: the status, the counts, saving (not the ever-moving ETA)."""
        return [self.status] + [f"{unit} {value}" for unit, value in self.counts()] + [self.saving or ""]

    def line(self) -> str:
        return f"[{duration(self.elapsed_s):>7}] " + " · ".join(self.parts())


class ProgressTracker:
    """Turns successive status answers into snapshots (rates and ETA need the history of polls)."""

    def __init__(self, unit: str = "symbols", clock: Callable[[], float] = time.monotonic) -> None:
        self.unit = unit  # "account units" for a whole-account execution (ALL_SPOT, ALL_FUTURES)
        self._clock = clock
        self._started = clock()
        self._requests: deque[tuple[float, int]] = deque()
        self._last: dict[str, Any] = {}

    def observe(self, answer: dict[str, Any]) -> Snapshot:
        now = self._clock()
        progress = self._progress(answer)
        elapsed = _elapsed(answer, now - self._started)
        requests = _int(progress.get("requests"))
        done, total = _int(progress.get("streams_done")), _int(progress.get("streams_total"))
        if total is None:
            done, total = _int(progress.get("symbols_done")), _int(progress.get("symbols_total"))
        return Snapshot(
            status=str(answer.get("status", "?")),
            elapsed_s=elapsed,
            unit=self.unit,
            symbols_done=_int(progress.get("symbols_done")),
            symbols_total=_int(progress.get("symbols_total")),
            streams_done=_int(progress.get("streams_done")),
            streams_total=_int(progress.get("streams_total")),
            orders=_int(progress.get("orders")),
            requests_per_s=self._rate(now, requests),
            limit_per_s=_number(progress.get("requests_limit_per_s")),
            eta_s=eta(elapsed, done, total),
            saving=_saving(answer),
        )

    def _progress(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The answer's progress; once it has ended (no progress any more), the last one seen, all done."""
        progress = answer.get("progress")
        if isinstance(progress, dict) and progress:
            self._last = dict(progress)
            return progress
        if answer.get("status") != "SUCCEEDED":
            return self._last
        finished = dict(self._last)
        for name in ("symbols", "streams"):
            if isinstance(finished.get(f"{name}_total"), int):
                finished[f"{name}_done"] = finished[f"{name}_total"]
        return finished

    def _rate(self, now: float, requests: int | None) -> float | None:
        if requests is None:
            return None
        self._requests.append((now, requests))
        while len(self._requests) > 2 and now - self._requests[0][0] > RATE_WINDOW_S:
            self._requests.popleft()
        first_t, first_n = self._requests[0]
        return (requests - first_n) / (now - first_t) if now > first_t else None


def eta(elapsed_s: float | None, done: int | None, total: int | None) -> float | None:
    """Seconds left if the rest goes at the pace so far; None before anything is done."""
    if elapsed_s is None or not done or total is None or total <= 0:
        return None
    return max(0.0, elapsed_s * (total - done) / done)


def _elapsed(answer: dict[str, Any], local_s: float) -> float:
    """The service's own elapsed time while it runs (right even for an execution started long ago)."""
    server = _number(answer.get("processing_time_seconds"))
    details = answer.get("aws_execution_details") or {}
    finished = _number(details.get("duration_seconds"))
    return finished if finished is not None else server if server is not None else local_s


def _saving(answer: dict[str, Any]) -> str | None:
    info = answer.get("database_info") or {}
    if info.get("state") in ("pending", "saving"):
        return f"saving to the database: {int(info.get('orders_saved') or 0):,} orders"
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class ProgressDisplay:
    """Shows snapshots on `console` (stderr): a live bar on a terminal, plain lines elsewhere."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self._clock = clock
        self._live = console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._last_parts: list[str] | None = None
        self._last_plain = 0.0

    def __enter__(self) -> ProgressDisplay:
        if self._live:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]} {task.fields[extra]}"),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None, unit="", extra="")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def show(self, snap: Snapshot, *, final: bool = False) -> None:
        if self._progress is not None and self._task is not None:
            self._update_bar(self._progress, self._task, snap)
            return
        now = self._clock()
        parts = snap.milestone()
        if final or parts != self._last_parts or now - self._last_plain >= PLAIN_EVERY_S:
            self.console.print(snap.line(), markup=False, highlight=False, soft_wrap=True)
            self._last_parts, self._last_plain = parts, now

    @staticmethod
    def _update_bar(progress: Progress, task: TaskID, snap: Snapshot) -> None:
        """The bar counts the finest unit reported (streams, else symbols); the rest follows it as text."""
        counts = snap.counts()
        unit, done, total = "", 0, None
        if counts:
            unit, value = counts[-1]
            done_text, total_text = value.split("/")
            done, total = int(done_text), int(total_text)
        others = (
            [f"{name} {value}" for name, value in counts[:-1]] + snap.extras() + [duration(snap.elapsed_s)]
        )
        extra = " · ".join(others)
        progress.update(
            task, description=snap.status, completed=done, total=total, unit=unit, extra="· " + extra
        )
