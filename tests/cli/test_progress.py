"""bitget_orders/progress.py: snapshots from successive status answers, and how they are shown off a terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from bitget_orders.progress import ProgressDisplay, ProgressTracker, Snapshot, eta


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def running(elapsed: float, **progress: int) -> dict[str, Any]:
    return {"status": "RUNNING", "processing_time_seconds": elapsed, "progress": progress}


def test_eta_extrapolates_the_pace_so_far() -> None:
    assert eta(10.0, 1, 4) == 30.0
    assert eta(10.0, 4, 4) == 0.0
    assert eta(10.0, 0, 4) is None  # nothing done yet: no guess
    assert eta(None, 1, 4) is None


def test_symbols_only_progress_gives_counts_and_an_eta_from_the_services_clock() -> None:
    tracker = ProgressTracker(clock=Clock())
    snap = tracker.observe(running(6.0, symbols_done=2, symbols_total=5))
    assert (snap.symbols_done, snap.symbols_total, snap.eta_s, snap.requests_per_s) == (2, 5, 9.0, None)
    assert snap.parts() == ["RUNNING", "symbols 2/5", "ETA 9.0s"]


def test_richer_progress_gives_streams_orders_and_requests_per_second_against_the_limit() -> None:
    clock = Clock()
    tracker = ProgressTracker(clock=clock)
    fields = {"symbols_done": 0, "symbols_total": 2, "streams_done": 3, "streams_total": 12, "orders": 1500}
    tracker.observe(running(1.0, requests=10, requests_limit_per_s=20, **fields))
    clock.now += 2.0
    snap = tracker.observe(running(3.0, requests=46, requests_limit_per_s=20, **fields))
    assert snap.requests_per_s == 18.0  # 36 requests in 2 s between the polls
    assert snap.eta_s == 9.0  # the streams (finer than symbols) decide: 3 of 12 in 3 s
    assert snap.parts() == [
        "RUNNING",
        "symbols 0/2",
        "streams 3/12",
        "orders 1,500",
        "requests 18.0/s of 20/s allowed",
        "ETA 9.0s",
    ]


def test_once_it_succeeded_everything_counts_as_done() -> None:
    tracker = ProgressTracker(unit="account units", clock=Clock())
    tracker.observe(running(1.0, symbols_done=1, symbols_total=2))
    final = tracker.observe({"status": "SUCCEEDED", "aws_execution_details": {"duration_seconds": 2.5}})
    assert final.parts() == ["SUCCEEDED", "account units 2/2"] and final.elapsed_s == 2.5
    saving = tracker.observe(
        {
            "status": "SUCCEEDED",
            "database_info": {"state": "saving", "orders_saved": 1200, "orders_in_db": 1200},
        }
    )
    assert saving.saving == "saving to the database: 1,200 orders"


def test_off_a_terminal_a_line_is_printed_when_the_status_or_a_count_changes() -> None:
    out = io.StringIO()
    clock = Clock()
    display = ProgressDisplay(Console(file=out, width=200), clock=clock)
    with display:
        display.show(Snapshot("RUNNING", 0.5, symbols_done=0, symbols_total=2))
        clock.now += 1
        display.show(Snapshot("RUNNING", 1.5, symbols_done=0, symbols_total=2))  # nothing new: no line
        display.show(Snapshot("RUNNING", 2.0, symbols_done=1, symbols_total=2, eta_s=2.0))
        display.show(Snapshot("RUNNING", 2.5, symbols_done=1, symbols_total=2, eta_s=2.5))  # only the ETA
        clock.now += 11
        display.show(Snapshot("RUNNING", 13.0, symbols_done=1, symbols_total=2, eta_s=13.0))  # 10 s on
        display.show(Snapshot("SUCCEEDED", 14.0, symbols_done=2, symbols_total=2), final=True)
    assert out.getvalue().splitlines() == [
        "[   0.5s] RUNNING · symbols 0/2 · ETA -",
        "[   2.0s] RUNNING · symbols 1/2 · ETA 2.0s",
        "[  13.0s] RUNNING · symbols 1/2 · ETA 13.0s",
        "[  14.0s] SUCCEEDED · symbols 2/2",
    ]
