"""The account's scheduled sync (app/services/account_sync.py, SyncScheduler): a tick starts an incremental sync
and remembers its ARN from the typed answer; the next tick skips while that sync still runs."""

from __future__ import annotations

import logging

import pytest

from app.orchestration.base import ExtractionOptions
from app.schemas.orders import OrdersStartedResponse
from app.services.account_sync import SyncScheduler

ARN = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:sync-"


class Starts:
    """A fake `OrdersService.start` for the whole account: numbered executions, the options kept."""

    def __init__(self) -> None:
        self.options: list[ExtractionOptions] = []

    def __call__(self, options: ExtractionOptions) -> OrdersStartedResponse:
        self.options.append(options)
        arn = f"{ARN}{len(self.options)}"
        return OrdersStartedResponse(
            executionArn=arn,
            execution_name=arn.rsplit(":", 1)[-1],
            symbols=["ALL_SPOT", "ALL_FUTURES"],
            start_ms=1,
            end_ms=2,
            message="Procesamiento iniciado para toda la cuenta",
            database_saved=True,
            database_message="saved",
            status_url=f"/orders/{arn}",
        )


def test_a_tick_starts_a_sync_and_the_next_waits_for_it_to_end() -> None:
    # GIVEN a schedule whose first sync is still running after the first tick
    starts, running = Starts(), {f"{ARN}1"}
    scheduler = SyncScheduler(starts, lambda arn: arn in running)
    scheduler.tick()
    # WHEN the next tick comes while it runs, and another once it ended
    scheduler.tick()
    asked_while_running = len(starts.options)
    running.clear()
    scheduler.tick()
    # THEN one incremental sync was started per tick that found nothing running
    assert asked_while_running == 1
    assert [o.since for o in starts.options] == ["last_sync", "last_sync"]


def test_a_tick_logs_the_retention_warning(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = SyncScheduler(Starts(), lambda arn: False, warn=lambda: "sync now")
    with caplog.at_level(logging.WARNING, logger="app.services.account_sync"):
        scheduler.tick()
    assert [r.getMessage() for r in caplog.records] == ["sync schedule: sync now"]
