"""Hydration as the API uses it: claim, load (in the caller's thread or in the background), record the outcome
and log it (the package doc tells the rules)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.models.order_rows import RejectedRows
from app.services.db_values import bound_engine
from app.services.execution_records import ExecutionRecords
from app.services.hydration import claim_owner
from app.services.hydration.claim import Claims
from app.services.hydration.fenced_writes import HydrationClaimLostError, prepare
from app.services.hydration.loader import load_document
from app.services.hydration.outcome import record_outcome
from app.services.hydration.parse_process import OpenSource, ParseStats
from app.services.hydration.state import HydrationState, read_state, redact
from app.services.ledger_writes.accounts import UNKNOWN_ACCOUNT
from lambda_functions.common.logs import carry_context, log_context
from lambda_functions.coordinator.naming import execution_name_from_arn

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 2000


class Hydration:
    """Loads executions' documents into the ledger, each exactly once; keeps the background loads it started."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        executions: ExecutionRecords,
        claims: Claims,
        *,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        parse_in_subprocess: bool | None = None,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        self._sessions = sessions
        self._engine = bound_engine(sessions)  # chunks are written on connections of their own
        self._executions = executions  # the processing log
        self.claims = claims
        self.chunk_rows = chunk_rows
        # Where the document is parsed: True a child process, False this process (a thread), None by size
        # (parse_process.py: a child for documents over 4 MiB).
        self.parse_in_subprocess = parse_in_subprocess
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()

    def hydration_state(self, execution_arn: str) -> HydrationState:
        return read_state(self._sessions, execution_arn)

    def hydrate(self, execution_arn: str, open_source: OpenSource, *, source: str) -> HydrationState:
        """Load the document's orders once; a caller that loses the claim gets the current state at once."""
        with log_context(execution=execution_name_from_arn(execution_arn)):
            token = self.claims.take(execution_arn, source)
            if token is None:
                return self.hydration_state(execution_arn)
            return self._run_claimed(execution_arn, token, open_source, source)

    def hydrate_in_background(
        self, execution_arn: str, open_source: OpenSource, *, source: str, wait_s: float = 2.0
    ) -> HydrationState:
        """Claim, load in a thread, wait up to `wait_s`, then report (often 'saving' with the running count)."""
        with log_context(execution=execution_name_from_arn(execution_arn)):
            token = self.claims.take(execution_arn, source)
            run = carry_context(self._run_claimed)  # the thread's lines carry the execution too
        if token is None:
            return self.hydration_state(execution_arn)
        thread = threading.Thread(
            target=run,
            args=(execution_arn, token, open_source, source),
            name="hydrate-orders",
            daemon=True,
        )
        with self._threads_lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        thread.join(wait_s)
        return self.hydration_state(execution_arn)

    def active_background(self) -> int:
        """Background hydrations of this service still running."""
        with self._threads_lock:
            return sum(1 for t in self._threads if t.is_alive())

    def join_background(self, timeout_s: float | None = None) -> None:
        """Wait for background hydrations started by this service (shutdown, tests)."""
        with self._threads_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout_s)

    def _run_claimed(
        self, execution_arn: str, token: str, open_source: OpenSource, source: str
    ) -> HydrationState:
        try:
            return self._run_held(execution_arn, token, open_source, source)
        finally:
            claim_owner.release(token)

    def _run_held(
        self, execution_arn: str, token: str, open_source: OpenSource, source: str
    ) -> HydrationState:
        started = time.monotonic()
        self._executions.add_log(execution_arn, "INFO", "hydration started", {"source": redact(source)})
        stats, fill_stats = ParseStats(), ParseStats()
        try:
            target = prepare(self._sessions, self._engine, execution_arn, token)
            saved, fills = load_document(
                self._sessions,
                self._engine,
                target,
                token,
                open_source,
                stats,
                fill_stats,
                chunk_rows=self.chunk_rows,
                in_subprocess=self.parse_in_subprocess,
            )
        except HydrationClaimLostError:
            # Someone else holds the execution now (a takeover, or DELETE): its record is theirs to write.
            logger.warning("hydration claim lost")
            return self.hydration_state(execution_arn)
        except Exception as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
            logger.exception("hydration failed")
            record_outcome(self._sessions, execution_arn, token, "failed", error=error)
            self._executions.add_log(execution_arn, "ERROR", "hydration failed", {"error": error})
            return self.hydration_state(execution_arn)
        rejected = stats.rejected
        rejected.merge(fill_stats.rejected)
        if not record_outcome(
            self._sessions,
            execution_arn,
            token,
            "saved",
            orders_saved=saved,
            fills_saved=fills,
            rows_rejected=rejected.count,
            target=target,
        ):
            logger.warning("hydration claim lost")
            return self.hydration_state(execution_arn)
        duration = round(time.monotonic() - started, 3)
        if rejected.count:
            self._log_rejected(execution_arn, rejected)
        details: dict[str, Any] = {
            "orders_saved": saved,
            "fills_saved": fills,
            "rows_rejected": rejected.count,
            "duration_s": duration,
            "parser": stats.parser,
            "account_id": target.account_id,
            "coverage_rows": len(target.coverage) if target.account_id != UNKNOWN_ACCOUNT else 0,
        }
        if stats.child_peak_rss_mb is not None:
            details["parser_peak_rss_mb"] = stats.child_peak_rss_mb
            details["parser_rss_growth_mb"] = stats.child_rss_growth_mb
        self._executions.add_log(execution_arn, "INFO", "hydration finished", details)
        logger.info("hydration finished", extra={"orders_saved": saved})
        return self.hydration_state(execution_arn)

    def _log_rejected(self, execution_arn: str, rejected: RejectedRows) -> None:
        """One warning per described record (the first REJECTED_SAMPLES), one processing log with them all."""
        for sample in rejected.samples:
            logger.warning(
                "hydration skipped a fill record"
                if "trade_id" in sample
                else "hydration skipped an order record",
                extra=sample,
            )
        self._executions.add_log(
            execution_arn,
            "WARNING",
            "hydration rows rejected",
            {"rows_rejected": rejected.count, "samples": rejected.samples},
        )
