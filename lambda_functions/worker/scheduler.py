"""Runs jobs one step at a time on a pool of threads per lane, round robin, until every job is done.

A lane is one Bitget endpoint path (one rate limit). Its threads take a job from the lane's queue, run one step
(one page) and put the job back unless it is done, so every shard of a lane advances and a lane's capacity goes
to whatever has work. A step may add jobs to its lane (a shard that splits); the lane ends when its last job is
done. Lanes run at the same time, each on its own threads, so a slow endpoint never holds back a fast one.
A lane's threads log with the correlation fields bound where the lane was made (common/logs.py).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from lambda_functions.common.logs import carry_context

Job = TypeVar("Job")
log = logging.getLogger(__name__)


class Lane(Generic[Job]):
    """The queue and threads of one lane: one thread per open job, up to `threads`, started as jobs arrive."""

    def __init__(self, name: str, threads: int, step: Callable[[Job], bool]) -> None:
        self.name = name
        self._threads = max(1, threads)
        self._step = step
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._open = 0
        self._started = False
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._run_loop = carry_context(self._loop)  # threads log with the creator's correlation fields

    def add(self, job: Job) -> None:
        """Queue a job; allowed from inside a step (the lane stays open while its caller's job is open). A job
        added to a running lane gets a thread of its own while the lane has fewer than `threads`."""
        with self._lock:
            self._open += 1
            worker = self._new_worker() if self._started else None
        self._queue.put(job)
        if worker is not None:
            worker.start()

    def idle_threads(self) -> int:
        """Threads that would have nothing to do if every open job were being worked on."""
        with self._lock:
            return max(0, self._threads - self._open)

    def start(self) -> None:
        with self._lock:
            self._started = True
            workers = [self._new_worker() for _ in range(self._open)]
        for worker in workers:
            if worker is not None:
                worker.start()

    def join(self) -> None:
        joined = 0
        while True:
            with self._lock:
                if joined == len(self._workers):
                    return
                worker = self._workers[joined]
            worker.join()
            joined += 1

    def _new_worker(self) -> threading.Thread | None:
        """A thread for the lane when it has fewer than min(threads, open jobs); call under the lock."""
        if len(self._workers) >= min(self._threads, self._open):
            return None
        worker = threading.Thread(
            target=self._run_loop, name=f"{self.name}-{len(self._workers)}", daemon=True
        )
        self._workers.append(worker)
        return worker

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                done = self._step(job)
            except Exception:  # a step must not raise; if one does, its job ends rather than the thread
                log.exception("lane step failed", extra={"lane": self.name})
                done = True
            if not done:
                self._queue.put(job)
                continue
            with self._lock:
                self._open -= 1
                threads = len(self._workers) if self._open == 0 else 0
            for _ in range(threads):  # the last job is done: every thread of the lane stops
                self._queue.put(None)


def run_lanes(lanes: Iterable[Lane[Job]]) -> None:
    """Start every lane, wait for all of them."""
    started = list(lanes)
    for lane in started:
        lane.start()
    for lane in started:
        lane.join()
