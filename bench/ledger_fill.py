"""Many ledger orders at once, generated inside the database (no Python row loop): SQLite through a recursive
CTE, MariaDB through its SEQUENCE engine (`seq_1_to_N`). For `bench query` and the export memory test.

Orders: one account, five symbols, four streams, three orders per second of cTime (ties broken by orderId),
sides and statuses mixed, and a raw JSON of about 500 bytes like Bitget's.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, text

from app.models.database import ExecutionResult

BASE_ID = 1_115_965_643_967_582_214
BASE_MS = 1_790_000_000_000
PAD = "x" * 300  # the rest of a Bitget order object (fees, presets, sources...)

_COLUMNS = (
    "account_id, symbol, order_id, order_id_num, stream, market, product_type, client_oid, side, status, "
    "order_type, price, price_avg, size, base_volume, quote_volume, c_time, u_time, raw, created_at, updated_at"
)
_SELECT = """
SELECT :account,
       CASE {n} % 5 WHEN 0 THEN 'BTCUSDT' WHEN 1 THEN 'ETHUSDT' WHEN 2 THEN 'SOLUSDT' WHEN 3 THEN 'XRPUSDT'
                    ELSE 'ADAUSDT' END,
       CAST(:base_id - {n} AS {text}), :base_id - {n},
       CASE {n} % 4 WHEN 0 THEN 'spot_normal' WHEN 1 THEN 'spot_tpsl' WHEN 2 THEN 'USDT-FUTURES'
                    ELSE 'USDT-FUTURES_plan' END,
       CASE WHEN {n} % 4 < 2 THEN 'spot' ELSE 'futures' END,
       CASE WHEN {n} % 4 < 2 THEN NULL ELSE 'USDT-FUTURES' END,
       {client_oid},
       CASE WHEN {n} % 2 = 0 THEN 'buy' ELSE 'sell' END,
       CASE WHEN {n} % 7 = 0 THEN 'cancelled' ELSE 'filled' END,
       'limit', '64250.12', '64250.1', '0.0150', '0.0150', '963.75',
       :base_ms - {third} * 1000, :base_ms - {third} * 1000 + 350,
       {raw},
       '2026-11-01 12:00:00.000000', '2026-11-01 12:00:00.000000'
"""


def _sqlite_sql(count: int) -> str:
    select_part = _SELECT.format(
        n="n",
        text="TEXT",
        third="(n / 3)",  # SQLite divides integers as integers
        client_oid="'c-' || n",
        raw="""'{"orderId":"' || (:base_id - n) || '","cTime":"' || (:base_ms - (n / 3) * 1000) || '","pad":"' || :pad || '"}'""",
    )
    return (
        f"INSERT INTO ledger_orders ({_COLUMNS}) "  # noqa: S608 (constant text and an int)
        f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {int(count)}) "
        f"{select_part} FROM seq"
    )


def _mariadb_sql(count: int) -> str:
    select_part = _SELECT.format(
        n="seq",
        text="CHAR",
        third="(seq DIV 3)",
        client_oid="CONCAT('c-', seq)",
        raw="""CONCAT('{"orderId":"', :base_id - seq, '","cTime":"', :base_ms - (seq DIV 3) * 1000, '","pad":"', :pad, '"}')""",
    )
    return f"INSERT INTO ledger_orders ({_COLUMNS}) {select_part} FROM seq_1_to_{int(count)}"


def fill_ledger(engine: Engine, account_id: str, count: int) -> None:
    """`count` orders of `account_id` in the ledger (the account must hold none yet)."""
    sql = _sqlite_sql(count) if engine.dialect.name == "sqlite" else _mariadb_sql(count)
    params = {"account": account_id, "base_id": BASE_ID, "base_ms": BASE_MS, "pad": PAD}
    with engine.begin() as connection:
        connection.execute(text(sql), params)


def link_execution(engine: Engine, execution_arn: str, account_id: str) -> int:
    """A saved execution that saw every order of the account; returns its id."""
    with engine.begin() as connection:
        count = connection.scalar(
            text("SELECT COUNT(*) FROM ledger_orders WHERE account_id = :a"), {"a": account_id}
        )
        connection.execute(
            insert(ExecutionResult).values(
                execution_arn=execution_arn,
                execution_name=execution_arn.rsplit(":", 1)[-1],
                status="SUCCEEDED",
                hydration_state="saved",
                orders_saved=count,
                account_id=account_id,
                symbols='["ADAUSDT","BTCUSDT","ETHUSDT","SOLUSDT","XRPUSDT"]',
                total_symbols=5,
                total_orders=count,
                complete=True,
            )
        )
        execution_id = connection.execute(
            select(ExecutionResult.id).where(ExecutionResult.execution_arn == execution_arn)
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO execution_orders (execution_id, order_pk, symbol, stream, c_time, order_id_num) "
                "SELECT :e, id, symbol, stream, c_time, order_id_num FROM ledger_orders WHERE account_id = :a"
            ),
            {"e": execution_id, "a": account_id},
        )
    return execution_id
