"""Hydration: load a consolidated results document's orders into the account's ledger, exactly once
(docs/database.md).

- *exactly once*: a caller must first win an atomic claim (`UPDATE ... SET hydration_state='saving'
  WHERE hydration_state IN ('pending','failed')`, or a 'saving' claim whose owner process is known to be dead
  (app/services/claim_owner.py), or whose heartbeat is stale); losers return the current state (and the running
  count) at once;
- *the ledger*: the execution's orders are stored once per (account, stream, order_id), replacing a stored copy
  only when theirs is newer (uTime), and the execution links each order it saw; a second execution that sees
  the same orders adds links only. The account comes from the execution's result (ledger_writes/accounts.py);
- *complete or failed, never silently short*: the winner deletes the links a previous failed attempt left (not
  the ledger rows: other executions may link them), then streams `orders` and writes chunk by chunk (ledger
  rows, links, progress and heartbeat in one transaction); any error of the document or the database marks
  the execution `failed`, and the next call retries. One unusable order record does not: it is skipped,
  counted in `rows_rejected` and logged (execution, symbol, stream, reason), and the rest is stored;
- *no duplicates*: the ledger's unique key and the links' primary key, and a fencing token so a writer whose
  claim was taken over stops at its next chunk;
- *coverage*: a successful load replaces the execution's coverage rows in the same transaction that marks it
  saved (ledger_writes/coverage.py);
- *fills*: the document's `fills` (after its orders) go the same way into `ledger_fills` / `execution_fills`,
  in a second pass taken only when the first saw a `fills` array that is not empty (docs/database.md "Fills");
- *bounded memory*: at most a few chunks of rows are held.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, Literal, cast

from sqlalchemy import and_, or_, select, update

from app.models.database import ExecutionResult, utcnow
from app.models.fill_rows import FillsProbe, probed
from app.models.ledger_tables import FILLS
from app.models.order_rows import RecordKind, RejectedRows
from app.services import claim_owner
from app.services.db_values import UsesSessions, aware
from app.services.ledger_writes.accounts import UNKNOWN_ACCOUNT
from app.services.ledger_writes.coverage import replace_coverage
from app.services.ledger_writes.links import count_links
from app.services.ledger_writes.load import HydrationClaimLostError, LoadTarget, prepare, write_chunk
from app.services.parse_process import ParseStats, order_chunks

logger = logging.getLogger(__name__)

# "deleting": DELETE /orders/{arn} holds the execution while it removes it (nothing may claim it then).
HydrationStatus = Literal["pending", "saving", "saved", "failed", "deleting"]
OpenSource = Callable[[], AbstractContextManager[IO[bytes]]]

DEFAULT_CHUNK_ROWS = 2000
DEFAULT_STALE_CLAIM_S = 300.0
_CLAIMABLE = ("pending", "failed")
_MAX_ERROR_CHARS = 1000
_URL_QUERY = re.compile(r"(\w+://[^\s?#]+)\?[^\s]*")


@dataclass
class HydrationState:
    state: HydrationStatus
    orders_saved: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: str | None
    rows_rejected: int | None = None  # order and fill records the last finished hydration skipped
    fills_saved: int | None = None  # fills the execution saw and linked (None: saved before fills existed)


@dataclass(frozen=True)
class HeldClaim:
    """The hydration columns of an execution as read before a claim."""

    state: str
    token: str | None
    owner: str | None
    heartbeat_at: datetime | None
    orders_saved: int

    def owner_is_dead(self) -> bool:
        return claim_owner.owner_is_dead(self.owner, self.token)


def redact(text: str) -> str:
    """Text safe to store and show: URL query strings (presigned signatures) cut, length bounded."""
    return _URL_QUERY.sub(r"\1?…", text)[:_MAX_ERROR_CHARS]


class OrderHydration(UsesSessions):
    """DatabaseService's hydration part; the other parts provide add_log and _ensure_execution."""

    chunk_rows: int
    stale_claim_s: float
    # Where the document is parsed: True a child process, False this process (a thread), None by size
    # (app/services/parse_process.py: a child for documents over 4 MiB).
    parse_in_subprocess: bool | None = None
    _threads: list[threading.Thread]
    _threads_lock: threading.Lock

    def add_log(
        self, execution_arn: str, level: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        raise NotImplementedError

    def _ensure_execution(self, execution_arn: str) -> None:
        raise NotImplementedError

    def hydration_state(self, execution_arn: str) -> HydrationState:
        with self._sessions() as session:
            row = session.execute(
                select(
                    ExecutionResult.hydration_state,
                    ExecutionResult.orders_saved,
                    ExecutionResult.hydration_started_at,
                    ExecutionResult.hydration_finished_at,
                    ExecutionResult.hydration_error,
                    ExecutionResult.rows_rejected,
                    ExecutionResult.fills_saved,
                ).where(ExecutionResult.execution_arn == execution_arn)
            ).first()
        if row is None:
            return HydrationState("pending", 0, None, None, None, None)
        state, saved, started, finished, error, rejected, fills = row
        duration = (finished - started).total_seconds() if started and finished else None
        return HydrationState(
            cast(HydrationStatus, state),
            saved,
            aware(started),
            aware(finished),
            duration,
            error,
            rejected,
            fills,
        )

    def hydrate(self, execution_arn: str, open_source: OpenSource, *, source: str) -> HydrationState:
        """Load the document's orders once; a caller that loses the claim gets the current state at once."""
        token = self._claim(execution_arn, source)
        if token is None:
            return self.hydration_state(execution_arn)
        return self._run_claimed(execution_arn, token, open_source, source)

    def hydrate_in_background(
        self, execution_arn: str, open_source: OpenSource, *, source: str, wait_s: float = 2.0
    ) -> HydrationState:
        """Claim, load in a thread, wait up to `wait_s`, then report (often 'saving' with the running count)."""
        token = self._claim(execution_arn, source)
        if token is None:
            return self.hydration_state(execution_arn)
        thread = threading.Thread(
            target=self._run_claimed,
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

    def _claim(self, execution_arn: str, source: str) -> str | None:
        """Atomically take the right to hydrate; None when another caller holds it or it is done.

        Claimable: never tried or failed; or 'saving' under a claim whose owner is known to be dead (same host,
        its process gone), taken over at once; or 'saving' with a heartbeat older than `stale_claim_s`.
        """
        self._ensure_execution(execution_arn)
        held = self._current_claim(execution_arn)
        token = uuid.uuid4().hex
        now = utcnow()
        stale = now - timedelta(seconds=self.stale_claim_s)
        table = ExecutionResult
        claimable = or_(
            table.hydration_state.in_(_CLAIMABLE),
            and_(table.hydration_state == "saving", table.hydration_heartbeat_at < stale),
        )
        dead_owner = held is not None and held.state == "saving" and held.owner_is_dead()
        if dead_owner and held is not None:  # compare-and-set on the dead claim's token: one taker wins
            claimable = or_(
                claimable, and_(table.hydration_state == "saving", table.hydration_token == held.token)
            )
        # Held before the UPDATE commits: another thread of this process must never see our claim unheld.
        claim_owner.hold(token)
        try:
            with self._sessions() as session, session.begin():
                result = session.connection().execute(
                    update(table)
                    .where(table.execution_arn == execution_arn, claimable)
                    .values(
                        hydration_state="saving",
                        hydration_token=token,
                        hydration_owner=claim_owner.current_owner(),
                        hydration_heartbeat_at=now,
                        hydration_started_at=now,
                        hydration_finished_at=None,
                        hydration_error=None,
                        hydration_source=redact(source),
                        orders_saved=0,
                        fills_saved=0,
                        rows_rejected=None,
                        updated_at=now,
                    )
                )
        except BaseException:
            claim_owner.release(token)
            raise
        if result.rowcount != 1:
            claim_owner.release(token)
            return None
        if held is not None and held.state == "saving":
            was_stale = held.heartbeat_at is None or held.heartbeat_at < stale
            if dead_owner or was_stale:
                reason = "owner process is gone" if dead_owner else "heartbeat stale"
                self._log_takeover(execution_arn, held, reason)
        return token

    def _current_claim(self, execution_arn: str) -> HeldClaim | None:
        table = ExecutionResult
        with self._sessions() as session:
            row = session.execute(
                select(
                    table.hydration_state,
                    table.hydration_token,
                    table.hydration_owner,
                    table.hydration_heartbeat_at,
                    table.orders_saved,
                ).where(table.execution_arn == execution_arn)
            ).first()
        return HeldClaim(*row) if row is not None else None

    def claim_is_live(self, execution_arn: str) -> bool:
        """True while a hydration of this execution may still be running (a 'saving' claim neither dead nor
        stale)."""
        held = self._current_claim(execution_arn)
        if held is None or held.state != "saving":
            return False
        stale = utcnow() - timedelta(seconds=self.stale_claim_s)
        fresh = held.heartbeat_at is not None and held.heartbeat_at >= stale
        return fresh and not held.owner_is_dead()

    def _log_takeover(self, execution_arn: str, held: HeldClaim, reason: str) -> None:
        details = {"previous_owner": held.owner, "reason": reason, "orders_saved_before": held.orders_saved}
        logger.warning("hydration taken over", extra={"execution_arn": execution_arn, **details})
        self.add_log(execution_arn, "WARNING", "hydration taken over", details)

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
        self.add_log(execution_arn, "INFO", "hydration started", {"source": redact(source)})
        stats, fill_stats = ParseStats(), ParseStats()
        try:
            target = prepare(self._sessions, self._write_engine(), execution_arn, token)
            saved, fills = self._load(target, token, open_source, stats, fill_stats)
        except HydrationClaimLostError:
            # Someone else holds the execution now (a takeover, or DELETE): its record is theirs to write.
            logger.warning("hydration claim lost", extra={"execution_arn": execution_arn})
            return self.hydration_state(execution_arn)
        except Exception as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
            logger.exception("hydration failed", extra={"execution_arn": execution_arn})
            self._finish(execution_arn, token, "failed", error=error)
            self.add_log(execution_arn, "ERROR", "hydration failed", {"error": error})
            return self.hydration_state(execution_arn)
        rejected = stats.rejected
        rejected.merge(fill_stats.rejected)
        if not self._finish(
            execution_arn,
            token,
            "saved",
            orders_saved=saved,
            fills_saved=fills,
            rows_rejected=rejected.count,
            target=target,
        ):
            logger.warning("hydration claim lost", extra={"execution_arn": execution_arn})
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
        self.add_log(execution_arn, "INFO", "hydration finished", details)
        logger.info("hydration finished", extra={"execution_arn": execution_arn, "orders_saved": saved})
        return self.hydration_state(execution_arn)

    def _log_rejected(self, execution_arn: str, rejected: RejectedRows) -> None:
        """One warning per described record (the first REJECTED_SAMPLES), one processing log with them all."""
        for sample in rejected.samples:
            logger.warning(
                "hydration skipped a fill record"
                if "trade_id" in sample
                else "hydration skipped an order record",
                extra={"execution_arn": execution_arn, **sample},
            )
        self.add_log(
            execution_arn,
            "WARNING",
            "hydration rows rejected",
            {"rows_rejected": rejected.count, "samples": rejected.samples},
        )

    def _load(
        self,
        target: LoadTarget,
        token: str,
        open_source: OpenSource,
        stats: ParseStats,
        fill_stats: ParseStats,
    ) -> tuple[int, int]:
        """Stream the document's orders, then its fills, into the ledger in chunks; returns the execution's links
        (orders it saw, fills it saw).

        The fills are a second pass over the document (ijson follows one array per pass), taken only when the
        first pass saw a `fills` array that is not empty (fill_rows.FillsProbe)."""
        probe = FillsProbe()
        linked = 0
        parse = order_chunks(
            lambda: probed(open_source, probe),
            target.account_id,
            self.chunk_rows,
            self.parse_in_subprocess,
            stats,
        )
        with parse as chunks:
            for chunk in chunks:
                linked += self._insert_chunk(target, token, chunk, linked)
        if probe.may_hold_fills:
            linked = 0
            parse = order_chunks(
                open_source, target.account_id, self.chunk_rows, self.parse_in_subprocess, fill_stats, "fills"
            )
            with parse as chunks:
                for chunk in chunks:
                    linked += self._insert_chunk(target, token, chunk, linked, "fills")
        with self._sessions() as session:
            connection = session.connection()
            return count_links(connection, target.execution_id), count_links(
                connection, target.execution_id, FILLS
            )

    def _insert_chunk(
        self,
        target: LoadTarget,
        token: str,
        rows: list[tuple[Any, ...]],
        before: int,
        kind: RecordKind = "orders",
    ) -> int:
        """Write one chunk while our claim holds (ledger_writes/load.py); returns the links added."""
        return write_chunk(self._write_engine(), target, token, rows, before, kind)

    def _finish(
        self,
        execution_arn: str,
        token: str,
        state: str,
        *,
        orders_saved: int | None = None,
        fills_saved: int | None = None,
        rows_rejected: int | None = None,
        error: str | None = None,
        target: LoadTarget | None = None,
    ) -> bool:
        """Record the outcome while our claim holds (False: it was taken over; nothing written). A `target`
        (a successful load) replaces the execution's coverage rows in the same transaction."""
        now = utcnow()
        values: dict[str, Any] = {
            "hydration_state": state,
            "hydration_finished_at": now,
            "hydration_error": error,
            "updated_at": now,
        }
        if orders_saved is not None:
            values["orders_saved"] = orders_saved
        if fills_saved is not None:
            values["fills_saved"] = fills_saved
        if rows_rejected is not None:
            values["rows_rejected"] = rows_rejected
        table = ExecutionResult
        with self._sessions() as session, session.begin():
            connection = session.connection()
            result = connection.execute(
                update(table)
                .where(table.execution_arn == execution_arn, table.hydration_token == token)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            if target is not None:
                # An unknown account mixes whatever accounts ran without a check: no coverage is claimed for it.
                known = target.account_id != UNKNOWN_ACCOUNT
                replace_coverage(
                    connection, execution_arn, target.account_id, target.coverage if known else []
                )
        return True
