"""StreamIndex against a plain filter: history pages (finished orders only) and open orders, for random
orders, windows, cursors, limits and moments, on both the all-finished fast path and the skipping path."""

from __future__ import annotations

import random

import pytest

from sandbox.clock import DAY_MS, HOUR_MS
from sandbox.history import StreamIndex

BASE = 1_790_000_000_000


def random_orders(rng: random.Random, count: int) -> list[dict]:
    orders = []
    for seq in range(count):
        ctime = BASE + rng.randrange(30 * DAY_MS)
        late = rng.random() < 0.2  # up to 10 days on the book; the others finish within 6 hours
        life = rng.randint(HOUR_MS, 10 * DAY_MS) if late else rng.randint(20, 6 * HOUR_MS)
        orders.append(
            {"orderId": str(ctime * 1_000_000 + seq % 1000), "cTime": str(ctime), "uTime": str(ctime + life)}
        )
    return orders


def expected_page(orders, start, end, cursor, limit, now):
    rows = [
        o
        for o in orders
        if start <= int(o["cTime"]) <= end
        and int(o["uTime"]) <= now
        and (cursor is None or int(o["orderId"]) < cursor)
    ]
    rows.sort(key=lambda o: int(o["orderId"]), reverse=True)
    return rows[:limit], len(rows) > limit


@pytest.mark.parametrize("seed", range(5))
def test_pages_are_the_finished_orders_of_the_window(seed) -> None:
    rng = random.Random(seed)
    orders = random_orders(rng, 600)
    index = StreamIndex(orders)
    settled = max(int(o["uTime"]) for o in orders)
    for _ in range(300):
        now = rng.choice([settled, settled + 5, BASE + rng.randrange(42 * DAY_MS)])
        start = BASE + rng.randrange(-DAY_MS, 30 * DAY_MS)
        end = start + rng.randrange(40 * DAY_MS)
        cursor = int(rng.choice(orders)["orderId"]) if rng.random() < 0.6 else None
        limit = rng.choice([1, 2, 7, 100])
        assert index.page(start, end, cursor, limit, now) == expected_page(
            orders, start, end, cursor, limit, now
        )


@pytest.mark.parametrize("seed", range(5))
def test_open_orders_are_those_created_and_not_finished(seed) -> None:
    rng = random.Random(seed)
    orders = random_orders(rng, 600)
    index = StreamIndex(orders)
    for _ in range(200):
        now = BASE + rng.randrange(-DAY_MS, 42 * DAY_MS)
        start = None if rng.random() < 0.5 else now - rng.randrange(12 * DAY_MS)
        end = None if rng.random() < 0.5 else now - rng.randrange(3 * DAY_MS)
        expected = sorted(
            (
                o
                for o in orders
                if int(o["cTime"]) <= now < int(o["uTime"])
                and (start is None or int(o["cTime"]) >= start)
                and (end is None or int(o["cTime"]) <= end)
            ),
            key=lambda o: int(o["orderId"]),
        )
        assert index.open_orders(now, start, end) == expected


def test_a_walk_with_the_cursor_returns_every_finished_order_once() -> None:
    rng = random.Random(7)
    orders = random_orders(rng, 1000)
    index = StreamIndex(orders)
    now = BASE + 20 * DAY_MS
    walked, cursor = [], None
    while True:
        rows, more = index.page(BASE - DAY_MS, now, cursor, 13, now)
        walked += rows
        if not more:
            break
        cursor = int(rows[-1]["orderId"])
    finished = [o for o in orders if int(o["uTime"]) <= now]
    assert sorted(walked, key=lambda o: int(o["orderId"])) == sorted(
        finished, key=lambda o: int(o["orderId"])
    )
    assert len(walked) == len({o["orderId"] for o in walked})
