"""Amounts, fees and prices reach the database exactly as Bitget sent them: no float round trip, no scientific
notation, padding kept; JSON numbers inside raw rows too."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from app.models.database import LedgerOrder
from app.models.fees import spot_fee
from app.models.order_rows import RejectedRows, row_chunks
from app.services.database import Database
from tests.services.factories import file_source, make_orders

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:exact"
ACCOUNT = "1"
# Written by hand: json.dumps would already have turned the numbers into floats.
SPOT = (
    '{"userId":"1","symbol":"BTCUSDT","orderId":"1115965643967582214","clientOid":"c-1",'
    '"price":"20.0000000000000000","size":"0.0000000100000000","orderType":"limit","side":"buy",'
    '"status":"filled","priceAvg":"0","baseVolume":"0.00000001","quoteVolume":"1E-8",'
    '"feeDetail":"{\\"newFees\\":{\\"c\\":0,\\"d\\":0,\\"deduction\\":false,\\"r\\":-0.0000794,'
    '\\"t\\":-0.0000794,\\"totalDeductionFee\\":0}}",'
    '"cTime":"1700000000000","uTime":"1700000000005","stream":"spot_normal"}'
)
FUTURES = (
    '{"symbol":"ETHUSDT","orderId":"1115965643967582215","size":"0.01","price":"0",'
    '"priceAvg":"2500.5000000000000000","fee":-0.00000001,"leverage":20,"status":"filled",'
    '"quoteVolume":0.12345678901234567891,"baseVolume":1e-8,"totalProfits":-1.5E-7,'
    '"cTime":"1699999999000","stream":"USDT-FUTURES"}'
)
PLAIN_FEE = (
    '{"symbol":"ETHUSDT","orderId":"1115965643967582216","fee":"-0.00000001","price":"3150.5000000000000000",'
    '"cTime":"1699999998000","stream":"USDT-FUTURES"}'
)


def _document(*orders: str) -> bytes:
    return ('{"execution":"e","orders":[' + ",".join(orders) + '],"rejected_rows":[],"summary":{}}').encode()


def _rows() -> dict[str, tuple]:
    (chunk,) = row_chunks(io.BytesIO(_document(SPOT, FUTURES, PLAIN_FEE)), ACCOUNT, 10)
    return {row[2]: row for row in chunk}


def _column(row: tuple, name: str) -> object:
    from app.models.order_rows import ORDER_COLUMNS

    return row[ORDER_COLUMNS.index(name)]


def test_strings_are_kept_character_for_character() -> None:
    spot = _rows()["1115965643967582214"]
    assert _column(spot, "price") == "20.0000000000000000"
    assert _column(spot, "size") == "0.0000000100000000"
    assert _column(spot, "base_volume") == "0.00000001"
    assert _column(spot, "quote_volume") == "1E-8"  # a string Bitget sent so: kept, not reformatted
    plain = _rows()["1115965643967582216"]
    assert (_column(plain, "fee"), _column(plain, "price")) == ("-0.00000001", "3150.5000000000000000")


def test_the_spot_fee_is_parsed_as_decimal_and_the_fee_detail_kept_raw() -> None:
    spot = _rows()["1115965643967582214"]
    assert _column(spot, "fee") == "-0.0000794"  # a float would say -7.94e-05
    raw = json.loads(str(_column(spot, "raw")))
    assert raw["feeDetail"] == json.loads(SPOT)["feeDetail"]  # the JSON-encoded string, unchanged
    assert spot_fee('{"newFees":{"t":-1e-8}}') == "-0.00000001"
    assert spot_fee('{"BGB":{"totalFee":-0.000000012345678901234}}') == "-0.000000012345678901234"


def test_json_numbers_in_raw_rows_are_exact_and_never_scientific() -> None:
    futures = _rows()["1115965643967582215"]
    assert _column(futures, "fee") == "-0.00000001"
    assert _column(futures, "quote_volume") == "0.12345678901234567891"  # 20 digits: a float keeps 17
    assert _column(futures, "base_volume") == "0.00000001"
    assert _column(futures, "leverage") == "20"
    raw = str(_column(futures, "raw"))
    assert '"fee":-0.00000001' in raw and '"totalProfits":-0.00000015' in raw
    assert '"quoteVolume":0.12345678901234567891' in raw and '"baseVolume":0.00000001' in raw
    assert "e-" not in raw.lower()
    assert json.loads(raw, parse_float=Decimal)["quoteVolume"] == Decimal("0.12345678901234567891")


def test_a_row_with_a_fractional_or_signed_time_is_rejected_not_truncated() -> None:
    orders = make_orders(4)
    orders[1]["cTime"], orders[2]["cTime"] = "FRACTION", "-1700000000000"
    text = json.dumps({"orders": orders}).replace('"FRACTION"', "1700000000000.5")
    rejected = RejectedRows()
    (chunk,) = row_chunks(io.BytesIO(text.encode()), ACCOUNT, 10, rejected)
    assert len(chunk) == 2
    assert rejected.count == 2
    assert all("cTime is not an integer" in sample["reason"] for sample in rejected.samples)
    assert "1700000000000.5" in rejected.samples[0]["reason"]


def test_hydration_stores_the_exact_values(db: Database, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "exact.json"
    path.write_bytes(_document(SPOT, FUTURES, PLAIN_FEE))
    state = db.hydration.hydrate(ARN, file_source(path), source="file")
    assert (state.state, state.orders_saved, state.rows_rejected) == ("saved", 3, 0)
    with engine.connect() as connection:
        rows = {r.order_id: r for r in connection.execute(select(LedgerOrder))}
    spot, futures = rows["1115965643967582214"], rows["1115965643967582215"]
    assert (spot.price, spot.size, spot.fee) == ("20.0000000000000000", "0.0000000100000000", "-0.0000794")
    assert (futures.fee, futures.quote_volume, futures.price_avg) == (
        "-0.00000001",
        "0.12345678901234567891",
        "2500.5000000000000000",
    )
    assert '"baseVolume":0.00000001' in futures.raw and "e-" not in futures.raw.lower()


@pytest.mark.parametrize(
    "value", ["-0.00000001", "20.0000000000000000", "0.1000000000000000055511151231257827"]
)
def test_any_decimal_string_survives_a_float_would_not(value: str) -> None:
    order = make_orders(1)[0] | {"fee": value, "price": value}
    (chunk,) = row_chunks(io.BytesIO(json.dumps({"orders": [order]}).encode()), ACCOUNT, 10)
    assert (_column(chunk[0], "fee"), _column(chunk[0], "price")) == (value, value)
    assert str(float(value)) != value  # the round trip this guards against
