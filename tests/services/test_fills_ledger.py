"""Fills in the ledger (SQLite and MariaDB): a consolidated document with unified-account orders and v2/v3 fills
is hydrated onto the documented columns; executions that see the same fills store them once (a copy replaces
the stored one only with a newer uTime); removing one execution keeps the other's fills; documents without
fills still hydrate, without a second pass."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Engine, select, update

from app.models.database import ExecutionResult, LedgerFill, LedgerOrder
from app.services.database import Database
from tests.services.fill_records import ACCOUNT, TRADE_BASE, mix_fill, spot_fill, uta_fill, uta_order, write

FIRST = "arn:aws:states:us-east-2:1:execution:bitget-orders:fills-first"
SECOND = "arn:aws:states:us-east-2:1:execution:bitget-orders:fills-second"
Source = Callable[[], AbstractContextManager[IO[bytes]]]


def _record(db: Database, arn: str) -> None:
    db.executions.record_execution(
        execution_arn=arn, execution_name=arn.rsplit(":", 1)[1], symbols=[], start_ms=1, end_ms=2
    )
    db.executions.update_execution(
        arn, status="SUCCEEDED", result={"success": True, "account_id": ACCOUNT, "summary": {}}
    )


def _counting_source(path: Path, opened: list[int]) -> Source:
    @contextmanager
    def open_source() -> Iterator[IO[bytes]]:
        opened.append(1)
        with path.open("rb") as fh:
            yield fh

    return open_source


def _hydrate(db: Database, arn: str, path: Path, opened: list[int] | None = None) -> Any:
    state = db.hydration.hydrate(
        arn, _counting_source(path, opened if opened is not None else []), source="file"
    )
    assert (state.state, state.error) == ("saved", None)
    return state


def _fills(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(LedgerFill)).mappings().all()
    return {(row["stream"], row["trade_id"]): dict(row) for row in rows}


def _mixed_fills() -> list[dict[str, Any]]:
    return [
        spot_fill(1),
        mix_fill(2),
        uta_fill(3, "SPOT"),
        uta_fill(4, "USDT-FUTURES"),
        spot_fill(5, "ETHUSDT"),
    ]


def test_hydrates_uta_orders_and_v2_v3_fills(db: Database, engine: Engine, tmp_path: Path) -> None:
    # GIVEN a unified account's document: two UTA orders and fills of every shape
    _record(db, FIRST)
    path = write(tmp_path / "doc.json", [uta_order(1, "SPOT"), uta_order(2, "MARGIN")], _mixed_fills())
    # WHEN it is hydrated
    opened: list[int] = []
    state = _hydrate(db, FIRST, path, opened)
    # THEN the orders are in ledger_orders on their columns, the fills in ledger_fills, raw kept as sent
    assert (state.orders_saved, state.fills_saved, state.rows_rejected, len(opened)) == (2, 5, 0, 2)
    with engine.connect() as connection:
        orders = {row.stream: row for row in connection.execute(select(LedgerOrder))}
    assert (orders["uta_SPOT"].market, orders["uta_MARGIN"].market) == ("spot", "margin")
    assert (orders["uta_SPOT"].size, orders["uta_SPOT"].status, orders["uta_SPOT"].fee) == (
        "0.0002",
        "filled",
        "0.00642033",
    )
    fills = _fills(engine)
    assert len(fills) == 5
    spot = fills[("spot_fills", str(TRADE_BASE + 1))]
    assert (spot["account_id"], spot["price"], spot["fee"], spot["fee_coin"]) == (
        ACCOUNT,
        "64477.39",
        "-0.0000537",
        "BTC",
    )
    assert json.loads(spot["raw"]) == spot_fill(1)
    mix = fills[("USDT-FUTURES_fills", str(TRADE_BASE + 2))]
    assert (mix["product_type"], mix["size"], mix["fee"], mix["profit"], mix["u_time"]) == (
        "USDT-FUTURES",
        "0.5",
        "-0.75",
        "12.5",
        None,
    )
    v3 = fills[("uta_USDT-FUTURES_fills", str(TRADE_BASE + 4))]
    assert (v3["market"], v3["price"], v3["amount"], v3["profit"], v3["trade_scope"]) == (
        "futures",
        "107005.4",
        "10.70054",
        "-1.5",
        "taker",
    )
    assert db.fills.count_fills(FIRST) == 5


def test_second_execution_and_rehydration_add_links_only(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    _record(db, FIRST)
    _hydrate(db, FIRST, write(tmp_path / "a.json", [], _mixed_fills()))
    # GIVEN a second execution sees the same fills: one with a newer uTime (a correction), one older, the v2
    # futures fill again (no uTime at all), and one new fill
    newer = {**spot_fill(1), "uTime": str(int(spot_fill(1)["uTime"]) + 10), "priceAvg": "64477.40"}
    older = {**uta_fill(4), "uTime": str(int(uta_fill(4)["uTime"]) - 10), "execPrice": "1"}
    changed_mix = {**mix_fill(2), "price": "9"}
    again = [newer, changed_mix, uta_fill(3, "SPOT"), older, spot_fill(5, "ETHUSDT"), spot_fill(6)]
    _record(db, SECOND)
    state = _hydrate(db, SECOND, write(tmp_path / "b.json", [], again))
    # THEN one row per fill, each execution its own links; only the newer copy replaced the stored one
    fills = _fills(engine)
    assert len(fills) == 6 and state.fills_saved == 6 and db.fills.count_fills(FIRST) == 5
    assert fills[("spot_fills", str(TRADE_BASE + 1))]["price"] == "64477.40"
    assert fills[("uta_USDT-FUTURES_fills", str(TRADE_BASE + 4))]["price"] == "107005.4"
    assert fills[("USDT-FUTURES_fills", str(TRADE_BASE + 2))]["price"] == "3184.2"  # immutable without uTime
    # WHEN the first execution is hydrated again (a failed attempt retried): THEN nothing doubles
    with engine.begin() as connection:
        connection.execute(
            update(ExecutionResult)
            .where(ExecutionResult.execution_arn == FIRST)
            .values(hydration_state="failed")
        )
    state = _hydrate(db, FIRST, write(tmp_path / "a.json", [], _mixed_fills()))
    assert state.fills_saved == 5 and len(_fills(engine)) == 6 and db.fills.count_fills(SECOND) == 6


def test_removing_one_execution_keeps_the_fills_another_saw(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    # GIVEN two executions sharing fills 1-3, each with one of its own
    _record(db, FIRST)
    _hydrate(
        db,
        FIRST,
        write(tmp_path / "a.json", [uta_order(1)], [spot_fill(1), mix_fill(2), uta_fill(3), spot_fill(7)]),
    )
    _record(db, SECOND)
    _hydrate(
        db, SECOND, write(tmp_path / "b.json", [], [spot_fill(1), mix_fill(2), uta_fill(3), mix_fill(8)])
    )
    # WHEN the first is removed
    assert db.removal.begin_delete(FIRST) == "saved"
    removed = db.removal.finish_delete(FIRST)
    # THEN its links go, and only the fill nobody else saw; the second's fills and count are unchanged
    assert (removed.fills, removed.ledger_fills, removed.orders, removed.ledger_orders) == (4, 1, 1, 1)
    assert set(_fills(engine)) == {
        ("spot_fills", str(TRADE_BASE + 1)), ("USDT-FUTURES_fills", str(TRADE_BASE + 2)),
        ("uta_USDT-FUTURES_fills", str(TRADE_BASE + 3)), ("USDT-FUTURES_fills", str(TRADE_BASE + 8)),
    }  # fmt: skip
    assert db.fills.count_fills(SECOND) == 4 and db.fills.count_fills(FIRST) == 0


@pytest.mark.parametrize("fills", [None, []], ids=["no-fills-array", "empty-fills"])
def test_documents_without_fills_hydrate_in_one_pass(
    db: Database, engine: Engine, tmp_path: Path, fills: list[Any] | None
) -> None:
    _record(db, FIRST)
    opened: list[int] = []
    state = _hydrate(db, FIRST, write(tmp_path / "old.json", [uta_order(1), uta_order(2)], fills), opened)
    assert (state.orders_saved, state.fills_saved, len(opened)) == (2, 0, 1)
    assert _fills(engine) == {}


def test_a_bad_fill_record_is_counted_and_logged_never_failing(
    db: Database, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _record(db, FIRST)
    fills = [spot_fill(1), {**mix_fill(2), "cTime": "soon"}, uta_fill(3)]
    state = _hydrate(db, FIRST, write(tmp_path / "bad.json", [{**uta_order(1), "orderId": "x"}], fills))
    assert (state.orders_saved, state.fills_saved, state.rows_rejected) == (0, 2, 2)
    warned = [r for r in caplog.records if r.getMessage() == "hydration skipped a fill record"]
    assert len(warned) == 1 and warned[0].trade_id == str(TRADE_BASE + 2)  # type: ignore[attr-defined]
    logs = db.executions.list_logs(FIRST)
    rejected = next(log for log in logs if log["message"] == "hydration rows rejected")
    assert rejected["details"]["rows_rejected"] == 2


@pytest.mark.parametrize("in_subprocess", [True, False], ids=["child-process", "thread"])
def test_fills_parsed_in_a_child_process_or_a_thread_are_the_same(
    db: Database, engine: Engine, tmp_path: Path, in_subprocess: bool
) -> None:
    db.hydration.parse_in_subprocess = in_subprocess
    _record(db, FIRST)
    fills = [spot_fill(i) if i % 3 else uta_fill(i) for i in range(1, 1201)]
    state = _hydrate(db, FIRST, write(tmp_path / "big.json", [uta_order(1)], fills))
    assert (state.orders_saved, state.fills_saved) == (1, 1200) and len(_fills(engine)) == 1200
