"""Runs jobs one step at a time on a pool of threads per lane, round robin, until every job is done.

A lane is one Bitget endpoint path (one rate limit). Its threads take a job from the lane's queue, run one step
(one page) and put the job back unless it is done, so every shard of a lane advances and a lane's capacity goes
to whatever has work. A step may add jobs to its lane (a shard that splits); the lane ends when its last job is
done. Lanes run at the same time, each on its own threads, so a slow endpoint never holds back a fast one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

Job = TypeVar("Job")
log = logging.getLogger(__name__)


class Lane(Generic[Job]):
    """The queue and threads of one lane."""

    def __init__(self, name: str, threads: int, step: Callable[[Job], bool]) -> None:
        self.name = name
        self._threads = max(1, threads)
        self._step = step
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._open = 0
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._count = 0

    def add(self, job: Job) -> None:
        """Queue a job; allowed from inside a step (the lane stays open while its caller's job is open)."""
        with self._lock:
            self._open += 1
        self._queue.put(job)

    def idle_threads(self) -> int:
        """Threads that would have nothing to do if every open job were being worked on."""
        with self._lock:
            return max(0, self._threads - self._open)

    def start(self) -> None:
        with self._lock:
            if self._open == 0:
                return
            self._count = min(self._threads, self._open)
        for index in range(self._count):
            worker = threading.Thread(target=self._loop, name=f"{self.name}-{index}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def join(self) -> None:
        for worker in self._workers:
            worker.join()

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
                finished = self._open == 0
            if finished:
                for _ in range(self._count):
                    self._queue.put(None)


def run_lanes(lanes: Iterable[Lane[Job]]) -> None:
    """Start every lane, wait for all of them."""
    started = list(lanes)
    for lane in started:
        lane.start()
    for lane in started:
        lane.join()


def lanes_for(
    keys: Iterable[Hashable], threads: Callable[[Hashable], int], step: Callable[[Job], bool]
) -> dict[Hashable, Lane[Job]]:
    """One lane per key."""
    return {key: Lane(str(key), threads(key), step) for key in keys}
