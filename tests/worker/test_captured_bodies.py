"""Real Bitget response bodies (tests/fixtures/bitget/, see its README) through the project's real code paths,
and malformed rows fuzzed into pages of captured-shape rows.

1. Decoding: `envelope.data_or_raise` and `BitgetClient` (over a fake `requests` session) return each body's
   `data` exactly as Bitget sent it; error bodies become `BitgetAPIError` with Bitget's code and text.
2. Page adapters (`pagination.spot_fetcher`, `spot_plan_fetcher`, `futures_fetcher`) over the real client:
   rows unchanged, cursor = last orderId (spot), `idLessThan` (spot plan), `endId` (futures).
3. End to end: `extract_symbol` with the real client serving the captured bodies writes the per-symbol orders
   file byte for byte: every field as Bitget sent it, plus `stream`.
4. Fuzzing: random malformed rows (orderId/cTime None, "", "abc", floats, negative, nested, non-dict rows...)
   mixed into pages of valid rows cloned from the captures: `row_problem` agrees with an independent oracle,
   the extraction never raises, every valid row is written exactly once, every invalid one is counted.
"""

from __future__ import annotations

import copy
import json
import random
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from lambda_functions.common.bitget import BitgetAPIError
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.bitget.envelope import data_or_raise
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.extraction import extract_symbol
from lambda_functions.worker.rows import row_problem
from tests.common.test_bitget_client import make_client, response
from tests.worker.conftest import make_run
from tests.worker.fakes import FakeClient, FakeClock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bitget"
DAY_MS = 86_400_000


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def body(name: str) -> bytes:
    return fixture(name)["body"].encode()


def parsed(name: str) -> Any:
    """The envelope as Bitget sent it, decoded independently of the project's code."""
    return json.loads(fixture(name)["body"], parse_float=Decimal)


def rows_of(name: str) -> list[dict[str, Any]]:
    data = parsed(name)["data"]
    if isinstance(data, list):
        return data
    return data.get("entrustedList") or data.get("orderList") or []


SUCCESS = [
    "spot_history_orders.json",
    "spot_order_info.json",
    "mix_orders_history.json",
    "doc_spot_history_plan_order.json",
    "doc_mix_orders_plan_history.json",
    "empty_data_list.json",
    "null_data.json",
]
ERRORS = {"error_43111.json": "43111", "error_400172.json": "400172"}
# The futures empty page of BITGET_API.md §10b (seen live on orders-pending): synthesised, not a capture.
NULL_LIST_PAGE = (
    b'{"code":"00000","msg":"success","requestTime":1700000000000,"data":{"entrustedList":null,"endId":null}}'
)
EMPTY_SPOT_PLAN_PAGE = b'{"code":"00000","msg":"success","requestTime":1700000000000,"data":{"nextFlag":false,"idLessThan":null,"orderList":[]}}'


def test_fixtures_are_the_captured_shapes() -> None:
    # Guards the transcription: the properties the other tests rely on are really in the bodies.
    spot = fixture("spot_history_orders.json")["body"]
    assert '"requestTime":1702574766114' in spot  # a JSON number
    assert '"size":"5.5000000000000000"' in spot and '"feeDetail":"{\\"newFees\\"' in spot
    mix = parsed("mix_orders_history.json")
    assert mix["requestTime"] == "1702571790777"  # a JSON string
    assert mix["data"]["endId"] == mix["data"]["entrustedList"][-1]["orderId"]
    assert parsed("empty_data_list.json")["data"] == [] and parsed("null_data.json")["data"] is None
    for name in [*SUCCESS, *ERRORS]:
        assert fixture(name)["source"]["repo"], name


# ---- 1. decoding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUCCESS)
@pytest.mark.parametrize("status", [200, 201])
def test_data_or_raise_returns_each_captured_data_unchanged(name: str, status: int) -> None:
    data = data_or_raise("/p", status, {}, body(name), lambda text: text)
    assert data == parsed(name)["data"]
    assert json.dumps(data, default=str) == json.dumps(parsed(name)["data"], default=str)  # same key order


@pytest.mark.parametrize("name", list(ERRORS))
@pytest.mark.parametrize("status", [200, 400])
def test_captured_error_bodies_are_api_errors_with_bitgets_code_and_text(name: str, status: int) -> None:
    envelope = parsed(name)
    with pytest.raises(BitgetAPIError) as caught:
        data_or_raise("/p", status, {}, body(name), lambda text: text)
    assert caught.value.code == ERRORS[name]
    assert caught.value.message == envelope["msg"]
    assert caught.value.http_status == status
    assert caught.value.request_time_ms == int(envelope["requestTime"])


class CapturedBitget:
    """A fake `requests` session in front of the real client: serves /public/time, the market lists, and for
    each history query (path + tpslType/planType/productType) its scripted bodies in turn, then `tail`
    (an empty page) for ever. Records every history request's query; thread-safe."""

    def __init__(
        self,
        server_ms: int,
        listed: dict[str, list[str]],
        pages: dict[tuple[str, str], list[bytes]] | None = None,
    ) -> None:
        self.server_ms = server_ms
        self.listed = listed
        self.pages = {key: list(bodies) for key, bodies in (pages or {}).items()}
        self.history: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    @staticmethod
    def query_key(query: dict[str, str]) -> str:
        return query.get("tpslType") or query.get("planType") or query.get("productType") or ""

    def tail(self, path: str) -> bytes:
        if path == ep.SPOT_HISTORY_ORDERS:
            return body("empty_data_list.json")
        if path == ep.SPOT_PLAN_HISTORY:
            return EMPTY_SPOT_PLAN_PAGE
        return NULL_LIST_PAGE

    def send(self, prepared: requests.PreparedRequest, timeout: Any = None) -> requests.Response:
        url = urlsplit(prepared.url or "")
        query = dict(parse_qsl(url.query))
        if url.path == ep.SERVER_TIME:
            return response(
                body={
                    "code": "00000",
                    "msg": "success",
                    "requestTime": self.server_ms,
                    "data": {"serverTime": str(self.server_ms)},
                }
            )
        if url.path in (ep.SPOT_SYMBOLS, ep.FUTURES_CONTRACTS):
            market = query.get("productType", "spot")
            data = [{"symbol": s} for s in self.listed.get(market, [])]
            return response(
                body={"code": "00000", "msg": "success", "requestTime": self.server_ms, "data": data}
            )
        key = self.query_key(query)
        with self._lock:
            self.history.append((url.path, key, query))
            script = self.pages.get((url.path, key), [])
            answer = script.pop(0) if script else self.tail(url.path)
        return response(200, answer)

    def close(self) -> None:
        pass

    def cursors(self, path: str, key: str) -> list[str | None]:
        """The idLessThan of every request of one query, in order."""
        return [q.get("idLessThan") for p, k, q in self.history if (p, k) == (path, key)]


def test_client_methods_return_the_captured_pages_with_only_the_empty_forms_normalised() -> None:
    exchange = CapturedBitget(
        1_702_574_766_114,
        {},
        {
            (ep.SPOT_HISTORY_ORDERS, "normal"): [body("spot_history_orders.json"), body("null_data.json")],
            (ep.SPOT_PLAN_HISTORY, ""): [body("doc_spot_history_plan_order.json")],
            (ep.FUTURES_HISTORY_ORDERS, "USDT-FUTURES"): [body("mix_orders_history.json")],
            (ep.FUTURES_PLAN_HISTORY, "normal_plan"): [body("doc_mix_orders_plan_history.json")],
        },
    )
    client = make_client(exchange)
    assert client.spot_history_orders("LTCUSDT") == rows_of("spot_history_orders.json")
    assert client.spot_history_orders("LTCUSDT") == []  # data: null
    assert client.spot_history_orders("LTCUSDT") == []  # data: []
    spot_plan = parsed("doc_spot_history_plan_order.json")["data"]
    assert client.spot_plan_history("TRXUSDT", start_ms=1, end_ms=2) == spot_plan
    assert (
        client.futures_history_orders("USDT-FUTURES", symbol="LTCUSDT")
        == parsed("mix_orders_history.json")["data"]
    )
    assert client.futures_history_orders("USDT-FUTURES") == {"entrustedList": [], "endId": None}  # null list
    plan = parsed("doc_mix_orders_plan_history.json")["data"]
    assert client.futures_plan_history("USDT-FUTURES", "normal_plan", symbol="ETHUSDT") == plan
    assert [q.get("tpslType") for p, _, q in exchange.history if p == ep.SPOT_HISTORY_ORDERS] == [
        "normal"
    ] * 3


# ---- 2. page adapters ------------------------------------------------------------------------------------


def _fetch(fetch: pg.FetchPage, cursor: str | None = None) -> pg.Page:
    return fetch(cursor, 100, 1_700_000_000_000, 1_700_000_100_000, 10.0)


def test_spot_fetcher_turns_the_captured_page_into_rows_and_the_last_order_id() -> None:
    exchange = CapturedBitget(
        0,
        {},
        {
            (ep.SPOT_HISTORY_ORDERS, "normal"): [
                body("spot_order_info.json"),
                body("spot_history_orders.json"),
            ],
        },
    )
    fetch = pg.spot_fetcher(make_client(exchange), "LTCUSDT", "normal")
    first = _fetch(fetch)
    assert first == pg.Page(rows_of("spot_order_info.json"), "1134354173590421508", None)
    second = _fetch(fetch, first.cursor)
    assert second == pg.Page(rows_of("spot_history_orders.json"), "1109431644367261698", None)
    assert _fetch(fetch, second.cursor) == pg.Page([], None, None)  # the captured `data: []`
    assert exchange.cursors(ep.SPOT_HISTORY_ORDERS, "normal") == [
        None,
        "1134354173590421508",
        "1109431644367261698",
    ]
    query = exchange.history[0][2]
    assert (query["symbol"], query["limit"], query["startTime"], query["endTime"]) == (
        "LTCUSDT",
        "100",
        "1700000000000",
        "1700000100000",
    )


def test_futures_fetcher_uses_end_id_and_ends_on_a_null_list() -> None:
    exchange = CapturedBitget(
        0, {}, {(ep.FUTURES_HISTORY_ORDERS, "USDT-FUTURES"): [body("mix_orders_history.json")]}
    )
    fetch = pg.futures_fetcher(make_client(exchange), "USDT-FUTURES", "LTCUSDT")
    page = _fetch(fetch)
    assert page == pg.Page(rows_of("mix_orders_history.json"), "1115965643967582214", None)
    assert _fetch(fetch, page.cursor) == pg.Page([], None, None)
    assert exchange.cursors(ep.FUTURES_HISTORY_ORDERS, "USDT-FUTURES") == [None, "1115965643967582214"]


def test_futures_plan_fetcher_sends_the_plan_type_and_uses_end_id() -> None:
    exchange = CapturedBitget(
        0,
        {},
        {
            (ep.FUTURES_PLAN_HISTORY, "normal_plan"): [body("doc_mix_orders_plan_history.json")],
        },
    )
    fetch = pg.futures_fetcher(make_client(exchange), "USDT-FUTURES", "ETHUSDT", "normal_plan")
    assert _fetch(fetch) == pg.Page(rows_of("doc_mix_orders_plan_history.json"), "123", None)
    query = exchange.history[0][2]
    assert (query["planType"], query["productType"], query["symbol"]) == (
        "normal_plan",
        "USDT-FUTURES",
        "ETHUSDT",
    )


def test_spot_plan_fetcher_reads_id_less_than_and_next_flag() -> None:
    exchange = CapturedBitget(0, {}, {(ep.SPOT_PLAN_HISTORY, ""): [body("doc_spot_history_plan_order.json")]})
    fetch = pg.spot_plan_fetcher(make_client(exchange), "TRXUSDT")
    page = _fetch(fetch)
    assert page == pg.Page(rows_of("doc_spot_history_plan_order.json"), "1", False)
    assert pg.end_of_data(page, 100)  # nextFlag false on a page that is not full


# ---- 3. end to end ---------------------------------------------------------------------------------------


def expected_order(row: dict[str, Any], stream: str, symbol: str) -> dict[str, Any]:
    """What docs/worker.md promises: Bitget's raw object plus `stream` (and `symbol` where it was missing)."""
    out = copy.deepcopy(row)
    out["stream"] = stream
    if not out.get("symbol"):
        out["symbol"] = symbol
    return out


def compact(value: Any) -> str:
    """Independent of the project's writer: compact JSON, non-ASCII kept, exact Decimals."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(json.dumps(k, ensure_ascii=False) + ":" + compact(v) for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(compact(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def run_real_client(
    store: LocalResultsStore, exchange: CapturedBitget, symbol: str, **settings: Any
) -> tuple[dict[str, Any], bytes]:
    client = make_client(exchange)
    summary = extract_symbol(WorkerRequest(symbol, "exec-1"), make_run(client, store, **settings))
    with store.reader(summary["orders_key"]) as fh:
        return summary, fh.read()


def test_captured_spot_and_futures_orders_are_written_byte_for_byte(store: LocalResultsStore) -> None:
    # Bitget's clock one week after the newest captured order: all three lie inside the 90-day window.
    exchange = CapturedBitget(
        1_706_745_600_000,
        {"spot": ["LTCUSDT"], "USDT-FUTURES": ["LTCUSDT"]},
        {
            # spot history: two pages of real spot order objects (the newer from orderInfo), then `data: []`
            (ep.SPOT_HISTORY_ORDERS, "normal"): [
                body("spot_order_info.json"),
                body("spot_history_orders.json"),
            ],
            (ep.SPOT_HISTORY_ORDERS, "tpsl"): [body("null_data.json")],
            (ep.FUTURES_HISTORY_ORDERS, "USDT-FUTURES"): [body("mix_orders_history.json")],
        },
    )
    summary, raw = run_real_client(store, exchange, "LTCUSDT")

    newer, older = rows_of("spot_order_info.json")[0], rows_of("spot_history_orders.json")[0]
    futures = rows_of("mix_orders_history.json")[0]
    expected = [
        expected_order(newer, "spot_normal", "LTCUSDT"),  # 2024-01-25
        expected_order(futures, "USDT-FUTURES", "LTCUSDT"),  # 2023-12-05
        expected_order(older, "spot_normal", "LTCUSDT"),  # 2023-11-17
    ]
    prefix = '{"symbol":"LTCUSDT","execution":"exec-1","orders":['
    assert raw.decode() == prefix + ",".join(compact(o) for o in expected) + "]}"
    document = json.loads(raw, parse_float=Decimal)
    for written, want in zip(document["orders"], expected, strict=True):
        assert list(written) == list(want)  # Bitget's key order, then stream
        assert written == want
    text = raw.decode()
    assert '"feeDetail":' + json.dumps(older["feeDetail"]) in text  # the JSON-encoded string, untouched
    assert '"totalFee\\":-0.000079400000}}"' in text and '"priceAvg":"69.2650000000000000"' in text
    assert '"size":"6.0000000000000000"' in text and '"price":""' in text and '"reduceOnly":"YES"' in text

    assert summary["complete"] and summary["orders"] == 3 and summary["errors"] == {}
    assert "rejected_rows" not in summary
    # cursors: the last orderId for spot, endId for futures; every walk ended on an empty page
    assert exchange.cursors(ep.SPOT_HISTORY_ORDERS, "normal") == [None, newer["orderId"], older["orderId"]]
    assert exchange.cursors(ep.SPOT_HISTORY_ORDERS, "tpsl") == [None]
    assert exchange.cursors(ep.FUTURES_HISTORY_ORDERS, "USDT-FUTURES") == [None, "1115965643967582214"]
    streams = store.get_json(summary["detail_key"])["streams"]
    assert (streams["spot_normal"]["orders"], streams["spot_normal"]["pages"]) == (2, 3)
    assert (streams["USDT-FUTURES"]["orders"], streams["USDT-FUTURES"]["pages"]) == (1, 2)


def test_documented_spot_plan_page_is_written_unchanged_and_ends_on_next_flag(
    store: LocalResultsStore,
) -> None:
    row = rows_of("doc_spot_history_plan_order.json")[0]
    exchange = CapturedBitget(
        int(row["cTime"]) + 5_000,
        {"spot": ["TRXUSDT"], "USDT-FUTURES": ["TRXUSDT"]},
        {(ep.SPOT_PLAN_HISTORY, ""): [body("doc_spot_history_plan_order.json")]},
    )
    summary, raw = run_real_client(store, exchange, "TRXUSDT", include_plan_orders=True)
    want = expected_order(row, "spot_plan", "TRXUSDT")
    assert raw.decode() == '{"symbol":"TRXUSDT","execution":"exec-1","orders":[' + compact(want) + "]}"
    assert summary["complete"] and summary["orders"] == 1
    # nextFlag false on a page shorter than asked: no further request
    assert exchange.cursors(ep.SPOT_PLAN_HISTORY, "") == [None]


def test_documented_futures_plan_page_is_written_unchanged(store: LocalResultsStore) -> None:
    row = rows_of("doc_mix_orders_plan_history.json")[0]
    exchange = CapturedBitget(
        int(row["cTime"]) + 5_000,
        {"spot": ["ETHUSDT"], "USDT-FUTURES": ["ETHUSDT"]},
        {(ep.FUTURES_PLAN_HISTORY, "normal_plan"): [body("doc_mix_orders_plan_history.json")]},
    )
    summary, raw = run_real_client(store, exchange, "ETHUSDT", include_plan_orders=True)
    want = expected_order(row, "USDT-FUTURES_plan", "ETHUSDT")
    assert raw.decode() == '{"symbol":"ETHUSDT","execution":"exec-1","orders":[' + compact(want) + "]}"
    assert json.loads(raw)["orders"][0]["symbol"] == "ethusdt" and '"uTime":""' in raw.decode()
    assert summary["complete"] and summary["orders"] == 1
    assert exchange.cursors(ep.FUTURES_PLAN_HISTORY, "normal_plan") == [None, "123"]
    assert exchange.cursors(ep.FUTURES_PLAN_HISTORY, "track_plan") == [None]


# ---- 4. fuzzing: malformed rows mixed into pages of captured-shape rows ----------------------------------

SYMBOL = "LTCUSDT"
NOW = FakeClock().wall_ms()
PLAN_STREAM = "USDT-FUTURES_plan"
TEMPLATES = {
    "spot_normal": rows_of("spot_history_orders.json")[0],
    "spot_tpsl": rows_of("spot_order_info.json")[0],
    "spot_plan": rows_of("doc_spot_history_plan_order.json")[0],
    "USDT-FUTURES": rows_of("mix_orders_history.json")[0],
    PLAN_STREAM: rows_of("doc_mix_orders_plan_history.json")[0],
}


def oracle_int(value: Any) -> int | None:
    """Independent reading of docs/worker.md: an integer, or a string of ASCII digits (surrounding blanks
    allowed); never a bool or float; and, like the database's BIGINT, below 2**63."""
    if isinstance(value, bool):
        return None
    number = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text and all(c in "0123456789" for c in text) and len(text) < 4000:
            number = int(text)
    return number if number is not None and number < 2**63 else None


def oracle_valid(row: Any) -> bool:
    if not isinstance(row, dict):
        return False
    order_id, c_time = oracle_int(row.get("orderId")), oracle_int(row.get("cTime"))
    return order_id is not None and order_id > 0 and c_time is not None and c_time > 0


BAD_IDS: list[Any] = [
    None,
    "",
    " ",
    "abc",
    "12a",
    "1e5",
    "-7",
    "+7",
    "0",
    "00",
    0,
    -1,
    -(10**20),
    1.5,
    7.0,
    float("1e18"),
    Decimal("12.5"),
    True,
    False,
    {"id": 1},
    [1],
    ["1"],
    {},
    "1 2",
    "1.0",
    "0x1f",
    "١٢٣abc",
    "\t",
    "1_000",
]


def random_bad_value(rng: random.Random) -> Any:
    choice = rng.random()
    if choice < 0.7:
        return copy.deepcopy(rng.choice(BAD_IDS))
    if choice < 0.85:
        return rng.choice([-1, -1.0]) * rng.randint(1, 10**6)
    return "".join(rng.choice("ab -.e+x/") for _ in range(rng.randint(1, 6)))


def random_invalid_row(rng: random.Random, template: dict[str, Any]) -> Any:
    kind = rng.random()
    if kind < 0.15:
        return copy.deepcopy(rng.choice([None, "row", 42, 4.2, True, [template["orderId"]], ["a", {"b": 1}]]))
    row = copy.deepcopy(template)
    if kind < 0.3:
        row.pop(rng.choice(["orderId", "cTime"]))
    if kind < 0.55 or "orderId" not in row:
        row["orderId"] = random_bad_value(rng)
    if kind >= 0.55 or rng.random() < 0.3:
        row["cTime"] = random_bad_value(rng)
    if rng.random() < 0.3:
        row["nested"] = {"deep": [1, {"x": Decimal("0.00000001")}], "s": "é"}
    assert not oracle_valid(row), row
    return row


def valid_row(rng: random.Random, template: dict[str, Any], order_id: int, c_time: int) -> dict[str, Any]:
    row = copy.deepcopy(template)
    row["orderId"] = rng.choice([str(order_id), str(order_id), order_id, f" {order_id} ", f"000{order_id}"])
    row["cTime"] = rng.choice([str(c_time), str(c_time), c_time])
    if rng.random() < 0.15:
        row.pop("symbol", None)
    elif rng.random() < 0.1:
        row["symbol"] = ""
    if rng.random() < 0.2:
        row["fuzzNumber"] = Decimal(rng.choice(["0.00000001", "-0.0000794", "123456789.123456789", "1E-12"]))
    assert oracle_valid(row), row
    return row


class PagedClient(FakeClient):
    """Serves each stream's scripted pages in turn (then an empty page), malformed rows and all; futures and
    plan pages carry a scripted cursor (endId / idLessThan, possibly missing)."""

    def __init__(self, pages: dict[str, list[tuple[list[Any], str | None]]]) -> None:
        super().__init__(
            listed={"spot": {SYMBOL}, "USDT-FUTURES": {SYMBOL}, "USDC-FUTURES": set(), "COIN-FUTURES": set()}
        )
        self.pages = pages
        self.served: dict[str, int] = {}

    def _next(self, stream: str, id_less_than: str | None) -> tuple[list[Any], str | None]:
        self.stats.requests += 1
        self.calls.append((stream, {"idLessThan": id_less_than}))
        index = self.served.get(stream, 0)
        self.served[stream] = index + 1
        script = self.pages.get(stream, [])
        rows, cursor = script[index] if index < len(script) else ([], None)
        return copy.deepcopy(rows), cursor

    def spot_history_orders(self, symbol, *, id_less_than=None, tpsl_type="normal", **_: Any):
        return self._next(f"spot_{tpsl_type}", id_less_than)[0]

    def spot_plan_history(self, symbol, *, id_less_than=None, **_: Any):
        rows, cursor = self._next("spot_plan", id_less_than)
        return {"nextFlag": bool(rows), "idLessThan": cursor, "orderList": rows}

    def futures_history_orders(self, product_type, *, id_less_than=None, **_: Any):
        rows, cursor = self._next(product_type, id_less_than)
        return {"entrustedList": rows or None, "endId": cursor}

    def futures_plan_history(self, product_type, plan_type, *, id_less_than=None, **_: Any):
        stream = f"{product_type}_plan" if plan_type == "normal_plan" else f"{product_type}_plan:{plan_type}"
        rows, cursor = self._next(stream, id_less_than)
        return {"entrustedList": rows, "endId": cursor}


def random_case(rng: random.Random) -> tuple[dict[str, list[tuple[list[Any], str | None]]], dict[str, list]]:
    """Scripted pages per stream, and per stream the expected (valid rows, invalid rows, cursors)."""
    pages: dict[str, list[tuple[list[Any], str | None]]] = {}
    expect: dict[str, list] = {}
    next_id = rng.randint(10**6, 10**18)
    next_time = NOW - rng.randint(1, DAY_MS)
    for stream in rng.sample(list(TEMPLATES), rng.randint(1, len(TEMPLATES))):
        template = TEMPLATES[stream]
        valid: list[dict] = []
        invalid: list[Any] = []
        cursors: list[str | None] = [None]
        script = []
        for _ in range(rng.randint(1, 4)):
            page: list[Any] = []
            for _ in range(rng.randint(1, 8)):  # at least one valid row: the walk always has a cursor
                next_id -= rng.randint(1, 10**9)
                next_time -= rng.choice([0, 0, 1, rng.randint(1, 10**7)])  # shared cTimes are common
                page.append(valid_row(rng, template, next_id, next_time))
            valid += page
            for _ in range(rng.randint(0, 5)):
                bad = random_invalid_row(rng, template)
                page.insert(rng.randint(0, len(page)), bad)
            invalid += [r for r in page if not oracle_valid(r)]
            last_valid = str([r for r in page if oracle_valid(r)][-1]["orderId"]).strip()
            cursor = (
                None
                if stream.startswith("spot_") and stream != "spot_plan"
                else rng.choice([last_valid, last_valid, None, ""])
            )
            script.append((page, cursor))
            cursors.append(cursor or last_valid)  # a missing cursor falls back to the last valid orderId
        pages[stream] = script
        expect[stream] = [valid, invalid, cursors]
    return pages, expect


def run_fake(client: FakeClient, tmp: Path) -> tuple[dict[str, Any], list[dict], dict[str, Any]]:
    store = LocalResultsStore(tmp)
    run = make_run(client, store, include_plan_orders=True, max_concurrent_spot=1, max_concurrent_futures=1)
    summary = extract_symbol(WorkerRequest(SYMBOL, "exec-fuzz"), run)
    with store.reader(summary["orders_key"]) as fh:
        orders = json.loads(fh.read(), parse_float=Decimal)["orders"]
    with store.reader(summary["detail_key"]) as fh:
        detail = json.loads(fh.read(), parse_float=Decimal)
    return summary, orders, detail


def test_row_problem_agrees_with_an_independent_oracle_on_random_rows() -> None:
    rng = random.Random(20240201)
    templates = list(TEMPLATES.values())
    checked = 0
    for i in range(4000):
        template = rng.choice(templates)
        if i % 2:
            row = random_invalid_row(rng, template)
        else:
            row = copy.deepcopy(template)
            for key in ("orderId", "cTime"):
                row[key] = rng.choice(
                    [
                        random_bad_value(rng),
                        rng.randint(1, 10**19),
                        str(rng.randint(1, 10**19)),
                        f"  {rng.randint(1, 10**6)}\t",
                        rng.randint(-(10**6), 0),
                        10**300,
                    ]
                )
        problem = row_problem(row)
        assert (problem is None) == oracle_valid(row), (row, problem)
        if problem is not None:
            assert isinstance(problem, str) and problem
        checked += 1
    assert checked == 4000


def test_fuzzed_pages_every_valid_row_written_once_every_invalid_row_counted(tmp_path: Path) -> None:
    rng = random.Random(7)
    cases = 300
    totals = {"valid": 0, "invalid": 0, "requests": 0}
    for case in range(cases):
        pages, expect = random_case(rng)
        client = PagedClient(pages)
        summary, orders, detail = run_fake(client, tmp_path / str(case))  # must not raise
        written: dict[tuple[str, str], list[dict]] = {}
        for order in orders:
            written.setdefault((order["stream"], str(order["orderId"])), []).append(order)
        want_keys = set()
        for stream, (valid, invalid, cursors) in expect.items():
            for row in valid:
                key = (stream, str(row["orderId"]))
                want_keys.add(key)
                assert written.get(key) == [expected_order(row, stream, SYMBOL)], (case, key)
            stream_detail = detail["streams"][stream]
            assert stream_detail["rejected_rows"] == len(invalid), (case, stream)
            assert [r["row"] for r in stream_detail["rejected"]] == json.loads(
                compact(invalid[:20]), parse_float=Decimal
            ), (case, stream)
            assert stream_detail["complete"] and stream_detail["orders"] == len(valid), (
                case,
                stream,
                stream_detail,
            )
            sent = [c[1]["idLessThan"] for c in client.calls if c[0] == stream]
            assert sent == cursors, (case, stream)
            totals["valid"] += len(valid)
            totals["invalid"] += len(invalid)
        assert set(written) == want_keys, case  # nothing else was written
        assert summary["complete"], (case, summary)
        assert summary["orders"] == sum(len(v) for v, _, _ in expect.values())
        assert summary.get("rejected_rows", 0) == sum(len(i) for _, i, _ in expect.values())
        totals["requests"] += client.stats.requests
    assert totals["valid"] > 4000 and totals["invalid"] > 1000, totals


def test_a_page_of_only_malformed_rows_ends_the_walk_incomplete_not_silently(tmp_path: Path) -> None:
    # docs/worker.md: no usable cursor on a page with rows -> cursor_stalled, incomplete; what came before is kept
    template = TEMPLATES["spot_normal"]
    good = [valid_row(random.Random(1), template, 900 - i, NOW - 1000 - i) for i in range(3)]
    bad = [{"orderId": None, "cTime": "x"}, "not-a-row"]
    later = [valid_row(random.Random(2), template, 800, NOW - 5000)]
    client = PagedClient({"spot_normal": [(good, None), (bad, None), (later, None)]})
    summary, orders, detail = run_fake(client, tmp_path)
    stream = detail["streams"]["spot_normal"]
    assert {str(o["orderId"]) for o in orders} == {str(r["orderId"]) for r in good}
    assert (stream["complete"], stream["reason"], stream["rejected_rows"]) == (False, "cursor_stalled", 2)
    assert not summary["complete"] and summary["incomplete_streams"] == ["spot_normal"]


# ---- bugs this fuzzing found, fixed since: kept as regression tests ---------------------------------------

UNPARSABLE_DIGITS = ["²", "1²", "٣¹", "9" * 5000]


@pytest.mark.parametrize(
    "value", UNPARSABLE_DIGITS, ids=["superscript", "digit+superscript", "mixed", "5000-digits"]
)
def test_row_problem_rejects_digit_like_strings_int_cannot_parse(value: str) -> None:
    assert row_problem({"orderId": value, "cTime": "1700000000000"}) is not None
    assert row_problem({"orderId": "1", "cTime": value}) is not None


@pytest.mark.parametrize("value", ["²", "9" * 5000], ids=["superscript", "5000-digits"])
def test_an_unparsable_digit_string_mid_page_loses_no_order_silently(tmp_path: Path, value: str) -> None:
    template = TEMPLATES["spot_normal"]
    rows = [valid_row(random.Random(i), template, 1000 - i, NOW - 10 - i) for i in range(5)]
    for row in rows:
        row["orderId"] = str(row["orderId"]).strip()
    page1 = [*rows[:2], {**template, "orderId": value, "cTime": str(NOW - 100)}, rows[2]]
    client = PagedClient({"spot_normal": [(page1, None), (rows[3:], None)]})
    summary, orders, detail = run_fake(client, tmp_path)
    stream = detail["streams"]["spot_normal"]
    lost = {r["orderId"] for r in rows} - {str(o["orderId"]) for o in orders}
    # Either every valid order is kept and the bad row counted, or the stream at least says it is incomplete.
    assert (not lost and stream["rejected_rows"] == 1) or not stream["complete"], (lost, stream, summary)
