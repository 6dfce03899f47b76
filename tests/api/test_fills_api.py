"""The fills over HTTP (SQLite and MariaDB): GET /accounts/{id}/fills and GET /orders/{arn}/fills page newest
first by keyset cursor (limit=1, an exactly full last page, filters), the exports hold exactly the paged rows,
the account summaries and `database_info` count fills, DELETE removes only the fills no other execution saw, and
bad input is a 4xx naming the problem."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from app.services.ledger_reads.rows import FILL_EXPORT_FIELDS
from lambda_functions.common import keys
from tests.api.conftest import Api
from tests.services.fill_records import ACCOUNT, TRADE_BASE, mix_fill, spot_fill, uta_fill, uta_order

FILLS = [spot_fill(1), mix_fill(2), uta_fill(3, "SPOT"), spot_fill(4, "ETHUSDT"), mix_fill(5), uta_fill(6)]
FORMATS = ("csv", "ndjson", "parquet")


def saved_execution(api: Api, fills: list[dict[str, Any]], orders: list[dict[str, Any]] | None = None) -> str:
    """An execution of ACCOUNT whose consolidated document holds `fills` (as the aggregator writes it), saved."""
    arn = api.start(("BTCUSDT",))
    orders = orders if orders is not None else [uta_order(1)]
    api.orchestrator.succeed(arn, orders)
    name = arn.rsplit(":", 1)[1]
    document = {"execution": name, "execution_arn": arn, "orders": orders, "fills": fills, "summary": {}}
    api.store.put_json(keys.result_key(api.orchestrator.prefix, name), document)
    output = api.orchestrator.states[arn].output
    assert output is not None
    output["account_id"] = ACCOUNT
    output["summary"]["total_fills"] = len(fills)
    info = api.client.get(f"/orders/{arn}").json()["database_info"]
    assert (info["state"], info["fills_saved"], info["fills_in_db"]) == ("saved", len(fills), len(fills)), (
        info
    )
    return arn


def newest_first(fills: list[dict[str, Any]]) -> list[str]:
    return [
        f["tradeId"] for f in sorted(fills, key=lambda f: (int(f["cTime"]), int(f["tradeId"])), reverse=True)
    ]


def walk(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of `path` followed by cursor; each page but the last is full, the last says no more."""
    bodies, cursor = [], None
    while True:
        response = api.client.get(path, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        cursor = body["pagination"]["next_cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            return bodies
        assert body["pagination"]["returned_count"] == params["limit"]


def fills_of(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [fill for body in bodies for fill in body["fills"]]


@pytest.mark.parametrize("path", ["/accounts/{account}/fills", "/orders/{arn}/fills"])
@pytest.mark.parametrize("limit", [1, 3])
def test_pages_newest_first_by_cursor(api: Api, path: str, limit: int) -> None:
    arn = saved_execution(api, FILLS)
    bodies = walk(api, path.format(account=ACCOUNT, arn=arn), limit=limit)
    # limit=3: two exactly full pages, the second saying there is no more
    assert len(bodies) == {1: 6, 3: 2}[limit]
    assert [f["trade_id"] for f in fills_of(bodies)] == newest_first(FILLS)
    first = bodies[0]["fills"][0]
    assert "raw" not in first and set(first) >= {"fee", "fee_coin", "price", "size", "amount", "profit"}


def test_a_fill_object_and_its_raw(api: Api) -> None:
    arn = saved_execution(api, FILLS)
    body = api.client.get(
        f"/orders/{arn}/fills", params={"include_raw": "true", "stream": "USDT-FUTURES_fills"}
    )
    assert body.status_code == 200
    page = body.json()
    assert (page["total"], page["hydration_state"], page["filters"]) == (
        2,
        "saved",
        {"symbol": None, "stream": "USDT-FUTURES_fills"},
    )
    fill = page["fills"][0]  # newest first: fill 2 before fill 5
    assert fill["raw"] == mix_fill(2)
    assert {k: fill[k] for k in ("trade_id", "stream", "market", "product_type", "price", "size", "fee", "profit")} == {
        "trade_id": str(TRADE_BASE + 2), "stream": "USDT-FUTURES_fills", "market": "futures",
        "product_type": "USDT-FUTURES", "price": "3184.2", "size": "0.5", "fee": "-0.75", "profit": "12.5",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"symbol": "ETHUSDT"}, [2, 4, 5]),
        ({"stream": "spot_fills"}, [1, 4]),
        ({"stream": "uta_SPOT_fills"}, [3]),
        ({"order_id": str(1_322_441_400_976_261_120 + 5)}, [5]),
        ({"side": "sell"}, [2, 4, 5]),
        ({"start_ms": 1_790_000_000_000 - 5000, "end_ms": 1_790_000_000_000 - 2000}, [3, 4, 5]),
    ],
)
def test_account_filters(api: Api, params: dict[str, Any], expected: list[int]) -> None:
    saved_execution(api, FILLS)
    bodies = walk(api, f"/accounts/{ACCOUNT}/fills", limit=2, **params)
    assert [f["trade_id"] for f in fills_of(bodies)] == [str(TRADE_BASE + i) for i in sorted(expected)]
    assert {k: bodies[0]["filters"][k] for k in params} == params


def parse(fmt: str, body: bytes) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode())))
    if fmt == "ndjson":
        return [json.loads(line) for line in body.decode().splitlines()]
    return pq.read_table(io.BytesIO(body)).to_pylist()


def _as_shown(fmt: str, value: Any, expected: Any) -> Any:
    if fmt == "csv":
        return value, "" if expected is None else str(expected)
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z"), expected
    return value, expected


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("where", ["account", "execution"])
def test_exports_equal_the_pages(api: Api, fmt: str, where: str) -> None:
    arn = saved_execution(api, FILLS)
    base = f"/accounts/{ACCOUNT}/fills" if where == "account" else f"/orders/{arn}/fills"
    params = {"symbol": "BTCUSDT"}
    response = api.client.get(f"{base}/export", params=params | {"format": fmt})
    assert response.status_code == 200, response.text
    stem = f"fills-{ACCOUNT}-" if where == "account" else f"fills-{arn.rsplit(':', 1)[1]}"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{stem}')
    exported = parse(fmt, response.content)
    shown = fills_of(walk(api, base, limit=2, include_raw="true", **params))
    assert len(exported) == len(shown) == 3
    for row, page in zip(exported, shown, strict=True):
        assert list(row) == list(FILL_EXPORT_FIELDS)
        assert json.loads(row["raw"]) == page["raw"] and row["account_id"] == ACCOUNT
        for name, expected in page.items():
            if name != "raw":
                got, want = _as_shown(fmt, row[name], expected)
                assert got == want, name


def test_summaries_and_status_count_fills(api: Api) -> None:
    arn = saved_execution(api, FILLS)
    listed = {a["account_id"]: a for a in api.client.get("/accounts").json()["accounts"]}[ACCOUNT]
    assert (listed["fills_stored"], listed["orders_stored"]) == (6, 1)
    assert listed["fill_streams"] == {"USDT-FUTURES_fills": 2, "spot_fills": 2, "uta_SPOT_fills": 1,
                                      "uta_USDT-FUTURES_fills": 1}  # fmt: skip
    assert "spot_fills" not in listed["streams"]  # order streams' counts are unchanged
    summary = api.client.get(f"/accounts/{ACCOUNT}").json()
    assert (summary["fills_stored"], summary["first_fill_ms"], summary["last_fill_ms"]) == (
        6,
        1_790_000_000_000 - 6000,
        1_790_000_000_000 - 1000,
    )
    streams = {s["stream"]: s for s in summary["streams"]}
    assert (streams["spot_fills"]["fills_stored"], streams["spot_fills"]["orders_stored"]) == (2, 0)
    assert (
        streams["uta_USDT-FUTURES"]["fills_stored"] is None
        and streams["uta_USDT-FUTURES"]["orders_stored"] == 1
    )
    assert api.client.get(f"/orders/{arn}").json()["database_info"]["fills_in_db"] == 6


def test_delete_keeps_the_fills_another_execution_saw(api: Api) -> None:
    first = saved_execution(api, FILLS)
    second = saved_execution(api, [*FILLS[:2], spot_fill(9)])
    before = walk(api, f"/orders/{second}/fills", limit=2)
    response = api.client.delete(f"/orders/{first}")
    assert response.status_code == 200 and response.json()["removed"]["fills"] == 6
    assert walk(api, f"/orders/{second}/fills", limit=2) == before
    remaining = fills_of(walk(api, f"/accounts/{ACCOUNT}/fills", limit=100))
    assert sorted(f["trade_id"] for f in remaining) == [str(TRADE_BASE + i) for i in (1, 2, 9)]
    assert api.counts()["ledger_fills"] == 3 and api.counts()["execution_fills"] == 3


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        (
            "/accounts/{account}/fills",
            {"stream": "spot_normal"},
            422,
            "unknown fill stream 'spot_normal': one of spot_fills, ",
        ),
        ("/orders/{arn}/fills", {"stream": "uta_SPOT"}, 422, "uta_USDT-FUTURES_fills"),
        ("/accounts/{account}/fills", {"start_ms": 9, "end_ms": 3}, 400, "must be before end_ms"),
        ("/accounts/{account}/fills", {"cursor": "bm9wZQ"}, 400, "cursor is malformed"),
        ("/accounts/{account}/fills", {"order_id": "abc"}, 422, "order_id"),
        ("/accounts/{account}/fills", {"limit": 101}, 422, "limit"),
        ("/accounts/4242/fills", {}, 404, "account not found: 4242"),
        ("/accounts/{account}/fills/export", {"format": "xml"}, 422, "format"),
        ("/orders/{arn}-nope/fills", {}, 404, "execution not found"),
        ("/orders/{arn}-nope/fills/export", {}, 404, "execution not found"),
        ("/orders/not-an-arn/fills", {}, 422, "execution_arn"),
    ],
)
def test_bad_input_is_a_4xx_naming_it(
    api: Api, path: str, params: dict[str, Any], status: int, message: str
) -> None:
    arn = saved_execution(api, FILLS[:2])
    response = api.client.get(path.format(account=ACCOUNT, arn=arn), params=params)
    assert response.status_code == status and message in response.text, response.text


def test_a_cursor_is_bound_to_its_filters(api: Api) -> None:
    arn = saved_execution(api, FILLS)
    cursor = api.client.get(f"/accounts/{ACCOUNT}/fills", params={"limit": 1}).json()["pagination"][
        "next_cursor"
    ]
    response = api.client.get(
        f"/accounts/{ACCOUNT}/fills", params={"limit": 1, "symbol": "ETHUSDT", "cursor": cursor}
    )
    assert (
        response.status_code == 400
        and "issued for other filters" in response.text
        and "order_id" in response.text
    )
    response = api.client.get(f"/orders/{arn}/fills", params={"cursor": cursor})
    assert response.status_code == 400 and "issued for other filters" in response.text
