"""Where the worker's layers meet: the real client's page shapes through the pager, and the coordinator's window
through the worker.

1. Spot plan history through `BitgetClient` (over a scripted session) and `spot_plan_fetcher` + `Walker`: a short
   page is never the end by itself (BITGET_API.md §3, §10a). `nextFlag: true` on a short page is followed, and a
   page without `nextFlag` says nothing: the client and the pager both read it as unknown, so the walk goes on to
   the empty page that proves the end. Only `nextFlag: false` on a page that is not full ends the walk.
2. The coordinator's default window (the last 90 days by its clock) reaches the worker a little later and by
   Bitget's clock: the worker pages it from the retention edge, but reports `clamped: false` (the API said
   `window_clamped: false` for it); a window asked beyond the retention is still reported clamped.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from lambda_functions.common.bitget import pages
from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from lambda_functions.coordinator.validation import DEFAULT_WINDOW_DAYS
from lambda_functions.coordinator.validation import resolve_window as coordinator_window
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.extraction import extract_symbol
from lambda_functions.worker.page_size import PageSizer
from lambda_functions.worker.window import EXPIRED_SINCE_ASKED_MS, RETENTION_EDGE_MARGIN_MS
from lambda_functions.worker.window import resolve_window as worker_window
from tests.common.test_bitget_client import FakeSession, envelope, make_client, response
from tests.worker.conftest import make_run
from tests.worker.fakes import FakeClient, FakeClock

START, END = 1_690_000_000_000, 1_700_000_000_000
LIMIT = 100
ALL_MARKETS = ("spot", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")


def _plan_rows(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {"orderId": str(first - i), "cTime": str(END - first + i), "symbol": "BTCUSDT"} for i in range(count)
    ]


def _walk(*bodies: dict[str, Any]) -> tuple[list[dict[str, Any]], pg.Walker, FakeSession]:
    """Spot plan history of BTCUSDT through the real client answering `bodies` (the last one repeats)."""
    session = FakeSession(*(response(body=envelope(body)) for body in bodies))
    clock = FakeClock()
    walker = pg.Walker(
        pg.spot_plan_fetcher(make_client(session), "BTCUSDT"),
        lambda: (START, END),
        PageSizer(LIMIT, LIMIT, adaptive=False),
        TimeBudget(60.0, request_timeout_s=15.0, safety_margin_s=0.0, monotonic=clock.monotonic),
        monotonic=clock.monotonic,
    )
    return [row for page in pg.paginate(walker) for row in page], walker, session


def _cursors(session: FakeSession) -> list[str | None]:
    return [dict(parse_qsl(urlsplit(str(p.url)).query)).get("idLessThan") for p in session.sent]


EMPTY = {"nextFlag": False, "idLessThan": None, "orderList": None}


@pytest.mark.parametrize("flag", [True, "true", "TRUE"])
def test_a_short_spot_plan_page_with_next_flag_true_is_followed(flag: Any) -> None:
    # Mutants this fails on: end_of_data ending any short page (`return len(page.rows) < limit`), and the
    # client's flag parser reading only the JSON boolean (`value is True`).
    first, second = _plan_rows(900, 3), _plan_rows(800, 2)
    rows, walker, session = _walk(
        {"nextFlag": flag, "idLessThan": "898", "orderList": first},
        {"nextFlag": False, "idLessThan": "799", "orderList": second},
    )
    assert rows == first + second
    assert walker.end == pg.COMPLETE and _cursors(session) == [None, "898"]


@pytest.mark.parametrize("missing", [{}, {"nextFlag": None}, {"nextFlag": ""}])
def test_a_short_spot_plan_page_without_next_flag_is_followed_to_the_empty_page(missing: dict) -> None:
    # Failed before the client and the pager agreed: the client turned a missing flag into False, which ends a
    # short page, so the second page was never asked for.
    first, second = _plan_rows(900, 3), _plan_rows(800, 2)
    rows, walker, session = _walk(
        {"idLessThan": "898", "orderList": first} | missing,
        {"idLessThan": "799", "orderList": second} | missing,
        {"orderList": []} | missing,
    )
    assert rows == first + second
    assert walker.end == pg.COMPLETE and _cursors(session) == [None, "898", "799"]


def test_next_flag_false_ends_a_short_page_but_not_a_full_one() -> None:
    full, short = _plan_rows(900, LIMIT), _plan_rows(700, 4)
    rows, walker, session = _walk(
        {"nextFlag": "false", "idLessThan": "801", "orderList": full},
        {"nextFlag": False, "idLessThan": "697", "orderList": short},
        EMPTY,
    )
    assert rows == full + short
    assert walker.end == pg.COMPLETE and _cursors(session) == [None, "801"]  # no third request


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (True, True),
        ("true", True),
        (" True ", True),
        (False, False),
        ("false", False),
        (None, None),
        ("", None),
    ],
)
def test_the_client_and_the_pager_read_next_flag_alike(sent: Any, read: bool | None) -> None:
    body = {"idLessThan": "5", "orderList": [{"orderId": "5", "cTime": "1"}]}
    if sent is not None:
        body["nextFlag"] = sent
    client_page = pages.spot_plan_page(body)
    assert client_page["nextFlag"] is read
    pager_page = pg.spot_plan_fetcher(_Answers(body), "BTCUSDT")(None, LIMIT, START, END, 1.0)
    assert pager_page.has_more is read


class _Answers:
    """A client whose spot plan history answers one body as Bitget sent it (no normalising)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def spot_plan_history(self, symbol: str, **query: Any) -> dict[str, Any]:
        return json.loads(json.dumps(self.body))


# ---- the coordinator's window through the worker ----------------------------------------------------------


@pytest.mark.parametrize("later_s", [0, 30, 20 * 60])
def test_the_coordinators_default_window_is_not_reported_clamped_by_the_worker(store, later_s: int) -> None:
    # Mutant this fails on (before the fix it failed as is): resolve_window reporting every moved start
    # (`clamped=True` whenever start < the edge the worker pages from).
    asked_at = FakeClock().wall_ms()
    window = coordinator_window(None, None, asked_at, DEFAULT_WINDOW_DAYS)
    assert not window.clamped  # what POST /orders answered: window_clamped false
    server_now = asked_at + later_s * 1000  # the worker runs later, by Bitget's clock
    client = FakeClient(listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}}, server_ms=server_now)
    run = make_run(client, store, FakeClock(wall_ms=server_now))
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e", window.start_ms, window.end_ms), run)
    edge = server_now - RETENTION_MS + RETENTION_EDGE_MARGIN_MS
    assert summary["window"] == {"start_ms": edge, "end_ms": window.end_ms, "clamped": False}
    assert "requested_start_ms" not in store.get_json(summary["detail_key"])["window"]
    assert all(call["start"] >= edge - 1 for _, call in client.calls)  # still paged from the edge


def test_a_window_asked_beyond_the_retention_is_still_reported_clamped() -> None:
    edge = END - RETENTION_MS + RETENTION_EDGE_MARGIN_MS
    window = worker_window(END - 91 * DAY_MS, END, END)
    assert window.clamped and window.requested_start_ms == END - 91 * DAY_MS
    assert window.as_dict() == {"start_ms": edge, "end_ms": END, "clamped": True}
    # the border: a start that expired no longer ago than a request can wait is paged from the edge, unreported
    assert worker_window(edge - EXPIRED_SINCE_ASKED_MS, END, END).as_dict() == {
        "start_ms": edge,
        "end_ms": END,
        "clamped": False,
    }
    assert worker_window(edge - EXPIRED_SINCE_ASKED_MS - 1, END, END).clamped


def test_a_window_inside_the_retention_is_unchanged_and_not_clamped() -> None:
    window = worker_window(END - 10 * DAY_MS, END - DAY_MS, END)
    assert window.as_dict() == {"start_ms": END - 10 * DAY_MS, "end_ms": END - DAY_MS, "clamped": False}
