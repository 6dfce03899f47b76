"""Incremental syncs of the account: start one, say where the last one left each stream, warn before history
is lost, and run them on a schedule (SYNC_INTERVAL_MINUTES, embedded mode).

The sync state is the results store's `_accounts/{id}/sync.json` (lambda_functions/common/sync_state.py),
written by the aggregator, so the coordinator (and the AWS schedule that invokes it) reads the same state the
API shows. Bitget keeps 90 days: a sync must run before the oldest order it has not kept yet ages out, and
`warning` says so when the next sync is due closer than `WARN_MARGIN_DAYS` to that edge.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from app.orchestration.base import ExtractionOptions
from app.schemas.accounts import StreamSync, SyncInfo
from app.schemas.orders import OrdersStartedResponse
from lambda_functions.common import sync_state
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS

log = logging.getLogger(__name__)
WARN_MARGIN_DAYS = 7


def sync_info(
    store: ResultsStore, prefix: str, account_id: str, now_ms: int, interval_minutes: int | None
) -> SyncInfo | None:
    """The account's sync state as the API shows it; None before its first account-wide execution."""
    state = sync_state.read(store, prefix, account_id)
    if state is None:
        return None
    edge = now_ms - RETENTION_MS
    streams = {
        key: StreamSync(
            synced_to_ms=int(entry["synced_to_ms"]),
            oldest_open_ms=entry.get("oldest_open_ms"),
            next_start_ms=sync_state.next_start(entry, edge),
            last_sync_at=entry.get("last_sync_at"),
            last_execution=entry.get("last_execution"),
        )
        for key, entry in (state.get("streams") or {}).items()
    }
    due = _next_due(state, now_ms, interval_minutes)
    return SyncInfo(
        last_sync_at=state.get("updated_at"),
        last_execution=state.get("last_execution"),
        streams=streams,
        spot_plan_symbols=list(state.get("spot_symbols") or []),
        interval_minutes=interval_minutes,
        next_sync_due_ms=due,
        warning=retention_warning(streams, now_ms if due is None else due),
    )


def _next_due(state: dict[str, Any], now_ms: int, interval_minutes: int | None) -> int | None:
    if not interval_minutes:
        return None
    ends = [int(e["synced_to_ms"]) for e in (state.get("streams") or {}).values() if isinstance(e, dict)]
    last = max(ends) if ends else now_ms
    return max(now_ms, last + interval_minutes * 60_000)


def retention_warning(streams: dict[str, StreamSync], due_ms: int) -> str | None:
    """A warning when a stream's next window would start within WARN_MARGIN_DAYS of Bitget's retention edge
    at the moment the next sync runs (orders older than the edge can no longer be read)."""
    edge_at_due = due_ms - RETENTION_MS
    late = sorted(
        key
        for key, stream in streams.items()
        if stream.next_start_ms - edge_at_due < WARN_MARGIN_DAYS * DAY_MS
    )
    if not late:
        return None
    return (
        f"the next sync of {', '.join(late[:5])}{' and others' if len(late) > 5 else ''} starts less than "
        f"{WARN_MARGIN_DAYS} days from Bitget's 90-day retention edge: sync now (POST /accounts/{{id}}/sync) "
        "or more often, or orders older than 90 days that were never kept are lost"
    )


class SyncScheduler:
    """Runs the account's incremental sync every SYNC_INTERVAL_MINUTES (embedded mode); skips a tick while the
    previous sync still runs, logs the retention warning when there is one."""

    def __init__(
        self,
        start: Callable[[ExtractionOptions], OrdersStartedResponse],
        is_running: Callable[[str], bool],
        warn: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._start = start
        self._is_running = is_running
        self._warn = warn
        self._last_arn: str | None = None
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            if self._last_arn is not None and self._is_running(self._last_arn):
                log.info(
                    "scheduled sync skipped: the previous one still runs",
                    extra={"execution_arn": self._last_arn},
                )
                return
            started = self._start(ExtractionOptions(since="last_sync"))
            self._last_arn = started.executionArn
            log.info(
                "scheduled sync started",
                extra={
                    "execution_arn": self._last_arn,
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
            )
        warning = self._warn()
        if warning:
            log.warning("sync schedule: %s", warning)
