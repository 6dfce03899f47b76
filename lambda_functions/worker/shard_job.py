"""One shard as a job for the scheduler: one page per step, rows checked and written, splits, second passes.

A step sends one request (`Walker.step`), keeps the rows the shard owns (`shards.py`), writes them to the
shard's part file, and may split the shard. It never raises: a Bitget error whose retries are exhausted gets a
second pass from the same cursor after a pause when it is transient (5xx, resets, 429, timeouts); otherwise,
or when that fails too, the shard ends with the error's category, Bitget's code and message, and the stream
is reported incomplete. A 40034 on a stream's very first request means the market does not know the symbol:
the stream is not applicable, not failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambda_functions.common.bitget import BitgetAPIError, BitgetError
from lambda_functions.common.logs import log_context
from lambda_functions.common.streams import record_id_field
from lambda_functions.worker import pagination as pg
from lambda_functions.worker import shards
from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.checkpoint import ShardState, StreamState
from lambda_functions.worker.checkpointing import Checkpointer
from lambda_functions.worker.page_size import PageSizer
from lambda_functions.worker.parts import PartSet, PartWriter
from lambda_functions.worker.rows import Rejected, created_ms, row_problem
from lambda_functions.worker.summary import (
    NOT_LISTED,
    RATE_LIMIT,
    SERVER_ERROR,
    SYMBOL_NOT_FOUND,
    TIMEOUT,
    WORKER_ERROR,
    categorize,
)
from lambda_functions.worker.window import MAX_SPAN_MS

log = logging.getLogger(__name__)

TRANSIENT = frozenset({RATE_LIMIT, SERVER_ERROR, TIMEOUT})  # worth a second pass after a pause
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Query:
    """One paged Bitget query of a stream: its endpoint path (its rate limit, its lane), its fetcher, and the
    widest startTime..endTime span the endpoint accepts (window.slices)."""

    path: str
    fetch: pg.FetchPage
    max_span_ms: int = MAX_SPAN_MS


@dataclass
class StreamRun:
    """What the shards of one stream share: counters, the page cap, the first error, rejected rows."""

    name: str
    symbol: str | None  # the one symbol the stream pages; None: every symbol (an account unit)
    listed: bool | None
    max_pages: int
    max_shards: int
    label: str | None = None  # the stream written on the rows, when it differs from `name` (spot_plan:X)
    pages: int = 0
    shards: int = 0
    second_passes: int = 0
    ends: list[str] = field(default_factory=list)
    error: tuple[str, str | None, str | None] | None = None  # (category, Bitget code, message)
    not_applicable: bool = False
    reason: str | None = None
    rejected: Rejected = field(default_factory=Rejected)
    page_size_adjustments: int = 0
    rows: int = 0  # rows kept by the shards that ended
    outside_query: int = 0  # rows Bitget returned outside a request's startTime..endTime (not kept)
    # A market that may not know the symbol is probed with the stream's first query alone; the others start
    # once it has answered with a page (a 40034 settles the whole stream with one request).
    waiting: list[ShardJob] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_page(self) -> bool:
        """Count one more page; False when the stream's page cap is reached."""
        with self.lock:
            if self.pages >= self.max_pages:
                return False
            self.pages += 1
            return True

    def give_back_page(self) -> None:
        with self.lock:
            self.pages -= 1

    def reserve_shards(self, wanted: int) -> int:
        with self.lock:
            granted = max(0, min(wanted, self.max_shards - self.shards))
            self.shards += granted
            return granted

    def state(self) -> StreamState:
        """The counters for the checkpoint (completeness comes from the shards' states)."""
        with self.lock:
            return StreamState(
                pages=self.pages,
                second_passes=self.second_passes,
                error=list(self.error) if self.error is not None else None,
                not_applicable=self.not_applicable,
                reason=self.reason,
                rejected_rows=self.rejected.count,
                rejected=list(self.rejected.samples),
                page_size_adjustments=self.page_size_adjustments,
                rows_outside_query=self.outside_query,
            )

    def restore(self, state: StreamState, shards_of_stream: list[ShardState]) -> None:
        """Counters from a checkpoint; shards, ends and rows from its shard states."""
        self.pages, self.second_passes = state.pages, state.second_passes
        self.error = (state.error[0] or "", state.error[1], state.error[2]) if state.error else None
        self.not_applicable, self.reason = state.not_applicable, state.reason
        self.rejected = Rejected(state.rejected_rows, list(state.rejected))
        self.page_size_adjustments, self.outside_query = state.page_size_adjustments, state.rows_outside_query
        self.shards = len(shards_of_stream)
        ended = [shard for shard in shards_of_stream if shard.end is not None]
        self.ends = [str(shard.end) for shard in ended]
        self.rows = sum(shard.kept for shard in ended)

    def record_end(
        self, end: str, rows: int, error: BaseException | None = None, category: str | None = None
    ) -> None:
        with self.lock:
            self.ends.append(end)
            self.rows += rows
            if category is not None and self.error is None:
                self.error = (category, *_code_and_message(error))


@dataclass
class RunContext:
    """The invocation's shared pieces, handed to every shard."""

    symbol: str
    budget: TimeBudget
    server_now_ms: Callable[[], int]
    parts: PartSet
    spawn: Callable[[ShardJob], None]
    idle_threads: Callable[[str], int]  # threads of a path's lane that have no shard to page
    path_busy: Callable[
        [str], bool
    ]  # requests already queue for the path's rate limit: more shards won't help
    sleep: Callable[[float], object]
    monotonic: Callable[[], float]
    min_page_size: int
    max_page_size: int
    adaptive_page_sizing: bool
    second_pass_pause_s: float
    second_passes: int
    journal: Checkpointer
    stop_reason: Callable[[], str | None]  # "cancelled" / "time_budget" once no new page may be asked


class ShardJob:
    """The shard owning `lo..hi` of query `query_index` of one stream (restored from `state` when given)."""

    def __init__(
        self,
        stream: StreamRun,
        query: Query,
        query_index: int,
        lo: int,
        hi: int,
        run: RunContext,
        state: ShardState | None = None,
    ) -> None:
        self.stream, self.query, self.query_index, self.run = stream, query, query_index, run
        self.lo, self.hi = lo, hi
        self.id = state.id if state is not None else run.journal.new_shard_id()
        self.sizer = PageSizer(run.min_page_size, run.max_page_size, adaptive=run.adaptive_page_sizing)
        self.walker = pg.Walker(query.fetch, self._bounds, self.sizer, run.budget, monotonic=run.monotonic)
        self.part: PartWriter = run.parts.new()
        self.passes_left = run.second_passes
        # Only a stream's probe (its one first request) may find the symbol unknown and settle the stream.
        self.probe = False
        self.waiting = False
        self.suspended = False  # stopped with pages left (time budget, cancel): open in the checkpoint
        self.sealed_epoch = run.journal.epoch
        self.kept = 0
        self.newest_ms: int | None = None
        self.oldest_ms: int | None = None
        self.pages_since_check = 0
        self._previous_ids: set[str] = set()
        if state is not None:
            self.walker.cursor, self.walker.pages = state.cursor, state.pages
            self.kept, self.probe, self.waiting = state.kept, state.probe, state.waiting

    @property
    def path(self) -> str:
        return self.query.path

    def state(self, end: str | None = None) -> ShardState:
        return ShardState(
            self.id,
            self.stream.name,
            self.query_index,
            self.lo,
            self.hi,
            cursor=self.walker.cursor,
            pages=self.walker.pages,
            kept=self.kept,
            probe=self.probe,
            waiting=self.waiting,
            end=end,
        )

    def seal(self, end: str | None = None, new_shards: list[ShardJob] | None = None) -> None:
        """Record this shard's state with the runs written to reach it (and, on a split, its new shards)."""
        self.sealed_epoch = self.run.journal.epoch
        states = [self.state(end)] + [job.state() for job in new_shards or []]
        self.run.journal.record(states, self.part.seal())

    def _bounds(self) -> tuple[int, int] | None:
        return shards.query_bounds(self.lo, self.hi, self.run.server_now_ms())

    def step(self) -> bool:
        """One page; True when the shard is done. Never raises: whatever goes wrong ends the shard with a
        recorded reason, so its stream cannot be reported complete. Its lines (the client's retries too) carry
        the stream."""
        with log_context(stream=self.stream.name):
            return self._logged_step()

    def _logged_step(self) -> bool:
        try:
            done = self._step()
        except Exception as exc:  # a bug or an unexpected shape: this shard is incomplete, the others go on
            log.exception("shard failed")
            return self._end(WORKER_ERROR, exc, WORKER_ERROR)
        if not done and self.sealed_epoch != self.run.journal.epoch:
            self.seal()
        return done

    def _suspend(self) -> bool:
        """Stop with pages left; the checkpoint keeps the cursor for the next invocation."""
        self.suspended = True
        self.walker.end = None
        self.part.close()
        self.seal()
        return True

    def _step(self) -> bool:
        if self.run.stop_reason() is not None:
            return self._suspend()
        if not self.stream.take_page():
            return self._end(pg.MAX_PAGES)
        try:
            page = self.walker.step()
        except BitgetError as exc:
            self.stream.give_back_page()
            return self._failed(exc)
        if page is None:
            self.stream.give_back_page()
            if self.walker.end == pg.TIMEOUT:
                return self._suspend()  # the budget is spent, not the data
            return self._end(self.walker.end or pg.COMPLETE)
        self._release_waiting()
        self._accept(page.rows)
        if self.walker.done:
            return self._end(self.walker.end or pg.COMPLETE)
        self._maybe_split(len(page.rows))
        return False

    def _release_waiting(self) -> None:
        with self.stream.lock:
            waiting, self.stream.waiting = self.stream.waiting, []
        for job in waiting:
            job.waiting = False
            self.run.spawn(job)

    def _accept(self, rows: list[Any]) -> None:
        """Keep the valid rows this shard owns, once each; count and sample the rest."""
        ids: set[str] = set()
        row_stream = self.stream.label or self.stream.name
        id_field = record_id_field(row_stream)
        for row in rows:
            problem = row_problem(row, id_field)
            if problem is not None:
                with self.stream.lock:  # a split stream's shards run on several threads
                    self.stream.rejected.add(problem, row)
                continue
            c_time, record_id = created_ms(row), str(row[id_field]).strip()
            ids.add(record_id)
            if not self.lo - 1 <= c_time <= self.hi + 1:
                with self.stream.lock:  # Bitget answered beyond the bounds asked: counted, not kept
                    self.stream.outside_query += 1
            # Rows of other shards' milliseconds, and the cursor row if Bitget repeats it, are not ours.
            if not self.lo <= c_time <= self.hi or record_id in self._previous_ids:
                continue
            row["stream"] = row_stream
            if not row.get("symbol") and self.stream.symbol:
                row["symbol"] = self.stream.symbol  # spot plan rows may leave it out
            self.part.write(row)
            self.kept += 1
            self.newest_ms = c_time if self.newest_ms is None else max(self.newest_ms, c_time)
            self.oldest_ms = c_time if self.oldest_ms is None else min(self.oldest_ms, c_time)
        self._previous_ids = ids

    def _maybe_split(self, page_rows: int) -> None:
        self.pages_since_check += 1
        if self.pages_since_check < shards.CHECK_EVERY_PAGES:
            return
        self.pages_since_check = 0
        idle = self.run.idle_threads(self.path)
        if (
            idle < 1
            or self.run.path_busy(self.path)
            or self.oldest_ms is None
            or self.newest_ms is None
            or page_rows == 0
        ):
            return
        span = self.newest_ms - self.oldest_ms + 1
        limit = self.sizer.max_size
        new_lo, ranges = shards.split_ranges(
            self.lo, self.oldest_ms, self.kept, span, limit, min(idle, shards.MAX_NEW_SHARDS_PER_SPLIT)
        )
        granted = self.stream.reserve_shards(len(ranges))
        if granted < len(ranges):
            if granted == 0:
                return
            # Fewer shards than planned: the oldest granted one takes everything below it.
            ranges = ranges[:granted]
            ranges[-1].lo = self.lo
        self.lo = new_lo
        new_shards = [
            ShardJob(self.stream, self.query, self.query_index, part.lo, part.hi, self.run) for part in ranges
        ]
        self.seal(new_shards=new_shards)  # the narrowed range and the new shards are recorded together
        for job in new_shards:
            self.run.spawn(job)

    def _failed(self, exc: BitgetError) -> bool:
        category = categorize(exc)
        pause = self.run.second_pass_pause_s
        if category in TRANSIENT and self.passes_left > 0 and self.run.budget.remaining_s() <= pause + 1.0:
            return self._suspend()  # no time left for the pause: the next invocation asks again
        if category in TRANSIENT and self.passes_left > 0:
            # The client's retries are spent; after a pause the same request (same cursor) gets a new budget.
            self.passes_left -= 1
            with self.stream.lock:
                self.stream.second_passes += 1
            log.warning("second pass", extra={"category": category})
            self.run.sleep(pause)
            return False
        if category == SYMBOL_NOT_FOUND and self.probe and self.walker.pages == 0:
            # Bitget does not know the symbol in this market: nothing exists to be missed.
            with self.stream.lock:
                self.stream.not_applicable = True
                self.stream.reason = NOT_LISTED if self.stream.listed is False else SYMBOL_NOT_FOUND
                never_asked, self.stream.waiting = self.stream.waiting, []  # the stream is settled
            self.run.journal.record([job.state(pg.COMPLETE) for job in never_asked])
            return self._end(pg.COMPLETE)
        return self._end(category, exc, category)

    def _end(self, end: str, error: BaseException | None = None, category: str | None = None) -> bool:
        self.part.close()
        self.seal(end)
        with self.stream.lock:
            self.stream.page_size_adjustments += self.sizer.adjustments
        self.stream.record_end(end, self.kept, error, category)
        if not self.stream.not_applicable:
            self._release_waiting()  # whatever the probe's fate, the other queries are asked on their own
        return True


def _code_and_message(error: BaseException | None) -> tuple[str | None, str | None]:
    """Bitget's code and message for the user (the client already removed any secret from the text)."""
    if error is None:
        return None, None
    if isinstance(error, BitgetAPIError):
        message = getattr(error, "message", None) or str(error)
        return str(error.code), str(message)[:_MESSAGE_LIMIT]
    return None, f"{type(error).__name__}: {error}"[:_MESSAGE_LIMIT]
