"""Stop rules of the cursor walk: each one ends the query for its reason, and only then."""

from lambda_functions.worker import pagination as pg
from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.page_size import PageSizer
from tests.worker.fakes import FakeClient, FakeClock, make_orders

START, END = 1_690_000_000_000, 1_700_000_000_000


def _walker(fetch, *, clock=None, budget_s=60.0, sizer=None, bounds=None):
    clock = clock or FakeClock()
    budget = TimeBudget(budget_s, request_timeout_s=15.0, safety_margin_s=0.0, monotonic=clock.monotonic)
    return pg.Walker(
        fetch,
        bounds or (lambda: (START, END)),
        sizer or PageSizer(50, 100),
        budget,
        monotonic=clock.monotonic,
    )


def _run(fetch, **kwargs):
    walker = _walker(fetch, **kwargs)
    return [row for page in pg.paginate(walker) for row in page], walker


def _futures(n: int):
    client = FakeClient({"USDT-FUTURES": make_orders(n, newest_ms=END - 1)})
    return client, pg.futures_fetcher(client, "USDT-FUTURES", "BTCUSDT")


def _pages(*pages):
    queue = iter(pages)
    return lambda cursor, limit, start, end, timeout: next(queue)


def test_a_short_page_is_not_the_end_the_next_request_is_sent():
    client, fetch = _futures(250)
    rows, walker = _run(fetch)
    assert [r["orderId"] for r in rows] == [o["orderId"] for o in make_orders(250, newest_ms=END - 1)]
    assert walker.end == pg.COMPLETE
    assert client.stats.requests == 4  # 100 + 100 + 50 + the empty page that proves the end


def test_short_pages_in_the_middle_lose_nothing():
    rows = [{"orderId": str(900 - i), "cTime": str(END - i)} for i in range(250)]
    served = [rows[0:100], rows[100:130], rows[130:200], rows[200:250], []]
    fetch = _pages(*(pg.Page(p, p[-1]["orderId"] if p else None) for p in served))
    got, walker = _run(fetch)
    assert got == rows
    assert walker.end == pg.COMPLETE and walker.pages == 5


def test_full_last_page_is_followed_by_one_empty_page():
    client, fetch = _futures(200)
    rows, walker = _run(fetch)
    assert len(rows) == 200
    assert walker.end == pg.COMPLETE
    assert client.stats.requests == 3


def test_empty_first_page_costs_one_request():
    _client, fetch = _futures(0)
    rows, walker = _run(fetch)
    assert rows == []
    assert walker.end == pg.COMPLETE
    assert walker.pages == 1


def test_null_list_and_null_end_id_are_an_empty_page(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(
        client, "futures_history_orders", lambda *a, **k: {"entrustedList": None, "endId": None}
    )
    rows, walker = _run(pg.futures_fetcher(client, "USDT-FUTURES", "BTCUSDT"))
    assert rows == [] and walker.end == pg.COMPLETE


def test_a_page_with_rows_but_no_end_id_continues_from_its_last_row(monkeypatch):
    first = [{"orderId": str(900 - i), "cTime": str(END - i)} for i in range(100)]
    answers = iter([{"entrustedList": first, "endId": None}, {"entrustedList": None, "endId": None}])
    cursors = []
    client = FakeClient()

    def futures_history_orders(product_type, **query):
        cursors.append(query["id_less_than"])
        return next(answers)

    monkeypatch.setattr(client, "futures_history_orders", futures_history_orders)
    rows, walker = _run(pg.futures_fetcher(client, "USDT-FUTURES", "BTCUSDT"))
    assert len(rows) == 100 and walker.end == pg.COMPLETE
    assert cursors == [None, "801"]


def test_spot_plan_next_flag_false_ends_only_a_short_or_empty_page():
    full = [{"orderId": str(900 - i), "cTime": "1"} for i in range(100)]
    fetch = _pages(
        pg.Page(full, "801", has_more=False),  # "no more" on a full page: asked again anyway
        pg.Page([{"orderId": "700", "cTime": "1"}], "700", has_more=False),
    )
    rows, walker = _run(fetch)
    assert len(rows) == 101
    assert walker.end == pg.COMPLETE and walker.pages == 2


def test_spot_plan_next_flag_true_on_an_empty_page_still_ends():
    rows, walker = _run(_pages(pg.Page([], None, has_more=True)))
    assert rows == [] and walker.end == pg.COMPLETE


def test_exhausted_budget_is_incomplete_timeout():
    clock = FakeClock(tick=4.0)  # every clock read costs 4 s: the budget runs out after a few pages
    _client, fetch = _futures(5000)
    rows, walker = _run(fetch, clock=clock, budget_s=30.0)
    assert walker.end == pg.TIMEOUT
    assert 0 < len(rows) < 5000


def test_stalled_cursor_stops_as_incomplete():
    rows = [{"orderId": "7", "cTime": "1"}] * 100
    _rows, walker = _run(lambda cursor, limit, start, end, timeout: pg.Page(rows, "7"))
    assert walker.end == pg.CURSOR_STALLED
    assert walker.pages == 2


def test_a_page_without_any_usable_cursor_is_stalled_not_complete():
    bad = [{"orderId": "x", "cTime": "1"}] * 10
    _rows, walker = _run(pg.spot_fetcher(_StubSpot(bad), "BTCUSDT", "normal"))
    assert walker.end == pg.CURSOR_STALLED


class _StubSpot:
    def __init__(self, rows):
        self.rows = rows

    def spot_history_orders(self, symbol, **query):
        return self.rows


def test_the_window_is_asked_per_request_and_an_expired_range_ends_the_walk():
    client, fetch = _futures(300)
    windows = iter([(START, END), (START + 5, END), None])
    rows, walker = _run(fetch, bounds=lambda: next(windows))
    starts = [call[1]["start"] for call in client.calls]
    assert starts == [START, START + 5]
    assert walker.end == pg.EXPIRED and len(rows) == 200


def test_page_size_changes_do_not_change_the_orders():
    clock = FakeClock(tick=0.5)  # each clock read advances the time: pages "take" 0.5 s (fast)
    slow = FakeClock(tick=3.5)  # pages "take" 3.5 s (slow) -> the sizer shrinks to its minimum
    _, fast_fetch = _futures(437)
    _, slow_fetch = _futures(437)
    fast_rows, _ = _run(fast_fetch, clock=clock, budget_s=10_000)
    sizer = PageSizer(50, 100)
    slow_rows, slow_walker = _run(slow_fetch, clock=slow, budget_s=10_000, sizer=sizer)
    assert sizer.size == 50
    assert sizer.adjustments > 0
    assert [r["orderId"] for r in slow_rows] == [r["orderId"] for r in fast_rows]
    assert len(slow_rows) == 437
    assert slow_walker.end == pg.COMPLETE
