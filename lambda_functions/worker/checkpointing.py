"""Making a running extraction durable: shards seal their state, a background flush writes segment + checkpoint.

Shards never pause for a checkpoint. After a page, a shard whose `sealed_epoch` is behind `epoch` *seals*: it
closes its part runs and records its state (cursor, owned range, rows kept) together with those runs
(`record`). A split records the parent's narrowed range and its new shards in the same call, so no snapshot can
hold one without the other. Every `interval_s` the background thread `flush`es: under the lock it takes the
runs sealed since the last flush and the latest state of every shard — a consistent cut, since each state was
recorded with exactly the runs fetched before its cursor — merges those runs into one segment, then writes the
checkpoint document naming it. The flush waits a moment after asking the shards to seal, so it holds what
they fetched up to about then: a crash loses about the pages of one interval (at most two, for a shard that
did not reach a page boundary in time); they are fetched again from the recorded cursors. The same thread notices a cancel request (`keys.cancel_key`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lambda_functions.common import keys
from lambda_functions.common.logs import carry_context
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.worker import checkpoint as ck
from lambda_functions.worker import segments
from lambda_functions.worker.parts import read_run
from lambda_functions.worker.segments import merge_rows, read_segment, write_segment

log = logging.getLogger(__name__)

STATS = ("requests", "retries", "http_429")
# Between asking the shards to seal and flushing: about one page's round trip, so a flush holds the pages of
# this interval rather than the previous one (measured: a kill then costs ~1 s of pages less; bench resume).
SEAL_GRACE_S = 0.5


class Checkpointer:
    """The checkpoint of one symbol while a worker runs; thread-safe."""

    def __init__(
        self,
        store: ResultsStore,
        prefix: str,
        doc: ck.Checkpoint,
        *,
        client_stats: Callable[[], dict[str, Any]] = dict,
        stream_states: Callable[[], dict[str, ck.StreamState]] = dict,
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.doc = doc
        self.key = keys.checkpoint_key(prefix, doc.execution, doc.symbol)
        self.epoch = 0
        self.cancelled = False
        self._client_stats = client_stats
        self._stream_states = stream_states
        self._previous_stats = dict(doc.client_stats)  # what earlier invocations sent
        self._states = {shard.id: shard for shard in doc.shards}
        self._pending: list[Path] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def new_shard_id(self) -> int:
        with self._lock:
            shard_id = self.doc.next_shard_id
            self.doc.next_shard_id += 1
            return shard_id

    def record(self, states: list[ck.ShardState], runs: list[Path] | None = None) -> None:
        """The latest state of some shards, with the runs they sealed to reach it (one atomic step)."""
        with self._lock:
            for state in states:
                self._states[state.id] = state
            self._pending.extend(runs or [])

    def states(self) -> list[ck.ShardState]:
        with self._lock:
            return sorted(self._states.values(), key=lambda state: state.id)

    def cancel_requested(self) -> bool:
        """Whether the execution was asked to stop (POST /orders/{arn}/cancel wrote its marker)."""
        if not self.cancelled:
            try:
                self.cancelled = self.store.exists(keys.cancel_key(self.prefix, self.doc.execution))
            except Exception:  # a store hiccup must not stop an extraction; the next look will tell
                log.warning("could not check for a cancel request", exc_info=True)
        return self.cancelled

    # ---- the background flush ------------------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        """Flush every `interval_s` (and look for a cancel request) until `stop`; may start again after it."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=carry_context(self._loop), args=(interval_s,), name="checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self, interval_s: float) -> None:
        grace = min(SEAL_GRACE_S, interval_s / 2)
        while not self._stop.wait(interval_s - grace):
            self.epoch += 1  # shards seal at their next page boundary...
            if self._stop.wait(grace):  # ...which most reach within a page's round trip
                return
            try:
                self.cancel_requested()
                self.flush()
            except Exception:  # the next flush (or the final one) writes what this one could not
                log.warning("checkpoint flush failed", exc_info=True)

    def flush(self) -> None:
        """Write the runs sealed so far as a segment, then the checkpoint that names it."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, []
                states = sorted(self._states.values(), key=lambda state: state.id)
            doc = self.doc
            obsolete: list[str] = []
            if pending:
                try:
                    self._add_segment([read_run(path) for path in pending], level=0)
                except BaseException:  # the runs go back: the next flush writes them before any later cursor
                    with self._lock:
                        self._pending[:0] = pending
                    raise
                obsolete = self._compact()
            doc.shards = states
            doc.streams = self._stream_states() or doc.streams
            current = self._client_stats()
            doc.client_stats = {
                name: int(self._previous_stats.get(name, 0)) + int(current.get(name, 0)) for name in STATS
            }
            ck.save(self.store, self.key, doc)
            if obsolete:
                self.store.delete(obsolete)  # only once no checkpoint names them
            for path in pending:
                path.unlink(missing_ok=True)

    def _add_segment(self, sources: list[Any], level: int) -> None:
        doc = self.doc
        key = keys.segment_key(self.prefix, doc.execution, doc.symbol, doc.next_segment)
        rows = write_segment(self.store, key, merge_rows(sources))
        doc.next_segment += 1
        doc.segments.append(ck.Segment(key, rows, level))

    def _compact(self) -> list[str]:
        """Merge segments.FANOUT segments of one level into one of the next; returns the keys merged away."""
        obsolete: list[str] = []
        while True:
            levels: dict[int, list[ck.Segment]] = {}
            for segment in self.doc.segments:
                levels.setdefault(segment.level, []).append(segment)
            full = next(
                (level for level, group in sorted(levels.items()) if len(group) >= segments.FANOUT), None
            )
            if full is None:
                return obsolete
            group = levels[full]
            self._add_segment([read_segment(self.store, s.key) for s in group], level=full + 1)
            # only once the merged segment exists: a failed compaction leaves the group as it was
            self.doc.segments = [s for s in self.doc.segments if s not in group]
            obsolete.extend(s.key for s in group)

    def rows(self) -> Any:
        """Every durable row, newest first (call after the final flush)."""
        return merge_rows(read_segment(self.store, s.key) for s in self.doc.segments)

    def durable_rows(self) -> int:
        return sum(segment.rows for segment in self.doc.segments)
