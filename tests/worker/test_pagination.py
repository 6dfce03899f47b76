"""Stop rules of the page generator: each one ends the query for its reason, and only then."""

from lambda_functions.worker import pagination as pg
from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.page_size import PageSizer
from tests.worker.fakes import FakeClient, FakeClock, make_orders

START, END = 1_690_000_000_000, 1_700_000_000_000


def _run(fetch, *, max_pages=1000, smart=True, clock=None, budget_s=60.0, sizer=None):
    clock = clock or FakeClock()
    budget = TimeBudget(budget_s, request_timeout_s=15.0, safety_margin_s=0.0, monotonic=clock.monotonic)
    state = pg.PagingState(max_pages)
    sizer = sizer or PageSizer(50, 100)
    rows = [
        row
        for page in pg.paginate(fetch, state, sizer, budget, smart=smart, monotonic=clock.monotonic)
        for row in page
    ]
    return rows, state


def _futures(n: int):
    client = FakeClient({"USDT-FUTURES": make_orders(n, newest_ms=END - 1)})
    return client, pg.futures_fetcher(client, "USDT-FUTURES", "BTCUSDT", START, END)


def test_short_page_ends_the_query_without_another_request():
    client, fetch = _futures(250)
    rows, state = _run(fetch)
    assert [r["orderId"] for r in rows] == [o["orderId"] for o in make_orders(250, newest_ms=END - 1)]
    assert state.complete
    assert state.pages == 3
    assert client.stats.requests == 3
    assert state.requests_saved == 1


def test_without_smart_pagination_it_asks_until_an_empty_page():
    client, fetch = _futures(250)
    rows, state = _run(fetch, smart=False)
    assert len(rows) == 250
    assert state.complete
    assert client.stats.requests == 4
    assert state.requests_saved == 0


def test_full_last_page_is_followed_by_one_empty_page():
    client, fetch = _futures(200)
    rows, state = _run(fetch)
    assert len(rows) == 200
    assert state.complete
    assert client.stats.requests == 3


def test_empty_first_page_costs_one_request():
    _client, fetch = _futures(0)
    rows, state = _run(fetch)
    assert rows == []
    assert state.complete
    assert state.pages == 1


def test_null_end_id_ends_the_query():
    pages = iter([pg.Page([{"orderId": "9"}] * 100, "9"), pg.Page([{"orderId": "5"}] * 100, None)])
    rows, state = _run(lambda cursor, limit, timeout: next(pages))
    assert len(rows) == 200
    assert state.complete
    assert state.pages == 2


def test_spot_plan_next_flag_decides_even_after_a_short_page():
    pages = iter(
        [pg.Page([{"orderId": "9"}], "9", has_more=True), pg.Page([{"orderId": "5"}], "5", has_more=False)]
    )
    rows, state = _run(lambda cursor, limit, timeout: next(pages))
    assert [r["orderId"] for r in rows] == ["9", "5"]
    assert state.complete


def test_page_cap_with_more_data_is_incomplete_max_pages():
    _client, fetch = _futures(1000)
    rows, state = _run(fetch, max_pages=3)
    assert len(rows) == 300
    assert state.end == pg.MAX_PAGES
    assert not state.complete


def test_page_cap_reached_exactly_at_the_end_is_complete():
    _client, fetch = _futures(250)
    rows, state = _run(fetch, max_pages=3)
    assert len(rows) == 250
    assert state.complete


def test_exhausted_budget_is_incomplete_timeout():
    clock = FakeClock(tick=4.0)  # every clock read costs 4 s: the budget runs out after a few pages
    _client, fetch = _futures(5000)
    rows, state = _run(fetch, clock=clock, budget_s=30.0)
    assert state.end == pg.TIMEOUT
    assert not state.complete
    assert 0 < len(rows) < 5000


def test_stalled_cursor_stops_as_incomplete():
    _rows, state = _run(lambda cursor, limit, timeout: pg.Page([{"orderId": "7"}] * limit, "7"))
    assert state.end == pg.CURSOR_STALLED
    assert state.pages == 2


def test_page_size_changes_do_not_change_the_orders():
    clock = FakeClock(tick=0.5)  # each clock read advances the time: pages "take" 0.5 s (fast)
    slow = FakeClock(tick=3.5)  # pages "take" 3.5 s (slow) -> the sizer shrinks to its minimum
    _, fast_fetch = _futures(437)
    _, slow_fetch = _futures(437)
    fast_rows, _ = _run(fast_fetch, clock=clock, budget_s=10_000)
    sizer = PageSizer(50, 100)
    slow_rows, slow_state = _run(slow_fetch, clock=slow, budget_s=10_000, sizer=sizer)
    assert sizer.size == 50
    assert sizer.adjustments > 0
    assert [r["orderId"] for r in slow_rows] == [r["orderId"] for r in fast_rows]
    assert len(slow_rows) == 437
    assert slow_state.complete
