"""The lane scheduler: round robin one step at a time, jobs added from inside a step, every job finished."""

import threading
from collections.abc import Callable

from lambda_functions.worker.scheduler import Lane, run_lanes


class Countdown:
    def __init__(self, name: str, steps: int, spawn: Callable[[], None] | None = None) -> None:
        self.name, self.left, self.spawn = name, steps, spawn
        self.trace: list[str] = []

    def step(self) -> bool:
        self.trace.append(threading.current_thread().name)
        self.left -= 1
        if self.spawn is not None and self.left == 1:
            self.spawn()
            self.spawn = None
        return self.left == 0


def test_every_job_runs_to_the_end_and_jobs_spawned_by_steps_run_too():
    lane: Lane[Countdown] = Lane("path", 3, lambda job: job.step())
    children: list[Countdown] = []

    def spawn_child():
        child = Countdown("child", 4)
        children.append(child)
        lane.add(child)

    jobs = [Countdown("a", 5, spawn_child), Countdown("b", 2), Countdown("c", 7)]
    for job in jobs:
        lane.add(job)
    run_lanes([lane])
    assert [job.left for job in jobs + children] == [0, 0, 0, 0]
    assert len(children) == 1


def test_a_job_whose_step_raises_ends_without_stopping_the_lane():
    def step(job: str) -> bool:
        if job == "bad":
            raise RuntimeError("bug")
        done.append(job)
        return True

    done: list[str] = []
    lane = Lane("path", 2, step)
    for job in ("bad", "a", "b"):
        lane.add(job)
    run_lanes([lane])
    assert sorted(done) == ["a", "b"]


def test_idle_threads_count_the_threads_without_a_job():
    lane: Lane[str] = Lane("path", 4, lambda job: True)
    assert lane.idle_threads() == 4
    lane.add("a")
    assert lane.idle_threads() == 3
    run_lanes([lane])
    assert lane.idle_threads() == 4


def test_an_empty_lane_starts_no_thread():
    lane: Lane[str] = Lane("path", 4, lambda job: True)
    run_lanes([lane])
    assert lane.idle_threads() == 4


def test_jobs_added_by_a_running_step_get_threads_of_their_own():
    # GIVEN a lane of 4 threads that starts with one job, which adds three more while it runs
    barrier = threading.Barrier(4, timeout=10)

    class Waiter:
        def __init__(self, spawn: bool = False) -> None:
            self.spawn = spawn
            self.threads: set[str] = set()

        def step(self) -> bool:
            if self.spawn:
                for _ in range(3):
                    lane.add(Waiter())
                self.spawn = False
            self.threads.add(threading.current_thread().name)
            barrier.wait()  # all four must be stepped at the same time, or this times out
            return True

    lane: Lane[Waiter] = Lane("path", 4, lambda job: job.step())
    lane.add(Waiter(spawn=True))
    run_lanes([lane])
    assert not barrier.broken
