"""SQLAlchemy models: the original's tables (`execution_results`, `processing_logs`), the
account ledger that replaced the original's per-execution `orders` (`ledger_orders` + `execution_orders`,
revision 0004_ledger), its fills (`ledger_fills` + `execution_fills`, revision 0005_fills) and the coverage of
each account's streams, with the columns hydration and keyset paging need.

Schema changes go through Alembic (`migrations/`); these classes are what the service code queries with.
Timestamps are naive UTC, written by Python so SQLite and MySQL agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; MySQL gets a BIGINT for a billion-row orders table.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# MySQL's DATETIME drops fractions unless asked; hydration durations need them.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utcnow() -> datetime:
    """Naive UTC now (the DB columns carry no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class ExecutionResult(Base):
    """One extraction run, and the state of its hydration into `orders`."""

    __tablename__ = "execution_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    execution_arn: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    execution_name: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(50), nullable=False)
    symbols: Mapped[str | None] = mapped_column(Text)  # JSON list
    start_ms: Mapped[int | None] = mapped_column(BigInteger)
    end_ms: Mapped[int | None] = mapped_column(BigInteger)
    total_symbols: Mapped[int | None] = mapped_column(Integer)
    total_orders: Mapped[int | None] = mapped_column(Integer)
    s3_uri: Mapped[str | None] = mapped_column(Text)
    public_url: Mapped[str | None] = mapped_column(Text)
    result_data: Mapped[str | None] = mapped_column(Text)  # the aggregator's response, JSON
    processing_time_seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    # From the aggregator's summary: every stream paged to its end (None: not known yet, or an older result),
    # and the streams that were not (JSON list of {symbol, stream, reason, error_code, error_message}, capped;
    # the count covers all).
    complete: Mapped[bool | None] = mapped_column(Boolean)
    incomplete_streams: Mapped[str | None] = mapped_column(Text)
    incomplete_streams_count: Mapped[int | None] = mapped_column(Integer)
    hydration_state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    orders_saved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hydration_started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    hydration_finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    hydration_source: Mapped[str | None] = mapped_column(Text)
    # Who holds the hydration claim, and when it last made progress (a stale claim can be taken over).
    hydration_token: Mapped[str | None] = mapped_column(String(36))
    # The claim holder's process, host:pid:start (0003_hydration_owner): a claim whose process is gone is taken
    # over at once, without waiting for the heartbeat to go stale.
    hydration_owner: Mapped[str | None] = mapped_column(String(255))
    hydration_heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp)
    hydration_error: Mapped[str | None] = mapped_column(Text)
    rows_rejected: Mapped[int | None] = mapped_column(Integer)  # records the last hydration skipped
    # Fills this execution saw and linked (0005_fills); None for executions saved before fills existed.
    fills_saved: Mapped[int | None] = mapped_column(Integer)
    # Bitget's userId of the account the execution read (0004_ledger); None until known.
    account_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow, onupdate=utcnow)


class LedgerOrder(Base):
    """One distinct Bitget order of one account (the ledger): stored once per (account, stream, orderId),
    whatever the number of executions that saw it; a later copy replaces it when its uTime is newer.

    The original's columns, ours, and the raw object. Executions see their orders through `execution_orders`.
    """

    __tablename__ = "ledger_orders"
    __table_args__ = (
        UniqueConstraint("account_id", "stream", "order_id", name="uq_ledger_account_stream_order"),
        # Newest-first keyset paging of an account: whole account / one symbol / one stream.
        Index("ix_ledger_account_newest", "account_id", "c_time", "order_id_num", "id"),
        Index("ix_ledger_account_symbol_newest", "account_id", "symbol", "c_time", "order_id_num", "id"),
        Index("ix_ledger_account_stream_newest", "account_id", "stream", "c_time", "order_id_num", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Bitget's userId (the account check); "unknown" when the execution ran without one (docs/database.md).
    account_id: Mapped[str] = mapped_column(String(32), nullable=False)
    symbol: Mapped[str] = mapped_column(String(50), nullable=False)
    order_id: Mapped[str] = mapped_column(String(50), nullable=False)
    # orderId as a number: string order is wrong for ids of different lengths.
    order_id_num: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stream: Mapped[str] = mapped_column(String(32), nullable=False)
    market: Mapped[str] = mapped_column(String(10), nullable=False)
    product_type: Mapped[str | None] = mapped_column(String(20))
    client_oid: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[str | None] = mapped_column(String(50))
    price: Mapped[str | None] = mapped_column(String(50))
    price_avg: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(32))
    side: Mapped[str | None] = mapped_column(String(10))
    order_type: Mapped[str | None] = mapped_column(String(20))
    trade_side: Mapped[str | None] = mapped_column(String(32))
    leverage: Mapped[str | None] = mapped_column(String(10))
    margin_mode: Mapped[str | None] = mapped_column(String(20))
    pos_side: Mapped[str | None] = mapped_column(String(10))
    fee: Mapped[str | None] = mapped_column(String(50))
    quote_volume: Mapped[str | None] = mapped_column(String(50))
    base_volume: Mapped[str | None] = mapped_column(String(50))
    c_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    u_time: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[str] = mapped_column(Text, nullable=False)  # the Bitget object as JSON, every field kept
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)  # first stored
    updated_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)  # last replaced


class ExecutionOrder(Base):
    """An execution saw a ledger order (the link behind GET /orders/{arn}/database).

    Carries the order's paging key (symbol, stream, c_time, order_id_num) so an execution's pages are a range
    scan of this table's indexes, joined to the ledger by primary key.
    """

    __tablename__ = "execution_orders"
    __table_args__ = (
        Index("ix_execution_orders_newest", "execution_id", "c_time", "order_id_num", "order_pk"),
        Index(
            "ix_execution_orders_symbol_newest",
            "execution_id",
            "symbol",
            "c_time",
            "order_id_num",
            "order_pk",
        ),
        Index(
            "ix_execution_orders_stream_newest",
            "execution_id",
            "stream",
            "c_time",
            "order_id_num",
            "order_pk",
        ),
        Index("ix_execution_orders_order", "order_pk"),
    )

    execution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # execution_results.id
    order_pk: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # ledger_orders.id
    symbol: Mapped[str] = mapped_column(String(50), nullable=False)
    stream: Mapped[str] = mapped_column(String(32), nullable=False)
    c_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    order_id_num: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LedgerFill(Base):
    """One distinct fill (an execution of an order, with its price and fee) of one account: stored once per
    (account, stream, tradeId); a later copy replaces it only when its uTime is newer (a fill is immutable,
    and v2 futures fills carry no uTime at all).

    The columns of the three wire shapes (v2 spot, v2 futures, v3 unified) under one name each
    (docs/database.md "Fills"), and the raw object. Executions see their fills through `execution_fills`.
    """

    __tablename__ = "ledger_fills"
    __table_args__ = (
        UniqueConstraint("account_id", "stream", "trade_id", name="uq_ledger_fills_account_stream_trade"),
        # Newest-first keyset paging of an account: whole account / one symbol / one stream / one order.
        Index("ix_ledger_fills_account_newest", "account_id", "c_time", "trade_id_num", "id"),
        Index(
            "ix_ledger_fills_account_symbol_newest", "account_id", "symbol", "c_time", "trade_id_num", "id"
        ),
        Index(
            "ix_ledger_fills_account_stream_newest", "account_id", "stream", "c_time", "trade_id_num", "id"
        ),
        Index(
            "ix_ledger_fills_account_order_newest", "account_id", "order_id", "c_time", "trade_id_num", "id"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32), nullable=False)
    symbol: Mapped[str] = mapped_column(String(50), nullable=False)
    trade_id: Mapped[str] = mapped_column(String(50), nullable=False)  # v2 tradeId, v3 execId
    trade_id_num: Mapped[int] = mapped_column(
        BigInteger, nullable=False
    )  # its number: the keyset tie-breaker
    order_id: Mapped[str | None] = mapped_column(String(50))
    stream: Mapped[str] = mapped_column(String(32), nullable=False)
    market: Mapped[str] = mapped_column(String(10), nullable=False)  # spot | margin | futures
    product_type: Mapped[str | None] = mapped_column(String(20))
    side: Mapped[str | None] = mapped_column(String(10))
    trade_side: Mapped[str | None] = mapped_column(String(50))
    order_type: Mapped[str | None] = mapped_column(String(20))
    trade_scope: Mapped[str | None] = mapped_column(String(16))  # taker | maker
    price: Mapped[str | None] = mapped_column(String(50))
    size: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[str | None] = mapped_column(String(50))
    fee: Mapped[str | None] = mapped_column(String(50))
    fee_coin: Mapped[str | None] = mapped_column(String(50))
    profit: Mapped[str | None] = mapped_column(String(50))
    c_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    u_time: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class ExecutionFill(Base):
    """An execution saw a ledger fill (GET /orders/{arn}/fills); carries the fill's paging key, as
    `execution_orders` does for orders."""

    __tablename__ = "execution_fills"
    __table_args__ = (
        Index("ix_execution_fills_newest", "execution_id", "c_time", "trade_id_num", "fill_pk"),
        Index(
            "ix_execution_fills_symbol_newest", "execution_id", "symbol", "c_time", "trade_id_num", "fill_pk"
        ),
        Index(
            "ix_execution_fills_stream_newest", "execution_id", "stream", "c_time", "trade_id_num", "fill_pk"
        ),
        Index("ix_execution_fills_fill", "fill_pk"),
    )

    execution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # execution_results.id
    fill_pk: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # ledger_fills.id
    symbol: Mapped[str] = mapped_column(String(50), nullable=False)
    stream: Mapped[str] = mapped_column(String(32), nullable=False)
    c_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    trade_id_num: Mapped[int] = mapped_column(BigInteger, nullable=False)


class AccountCoverage(Base):
    """A time range of one account's stream that a complete extraction paged to its end.

    `symbol` is "" when the stream was paged for every symbol at once (an account-wide extraction), else the
    one symbol it was paged for. Gaps are the time no row covers (docs/database.md).
    """

    __tablename__ = "account_coverage"
    __table_args__ = (
        UniqueConstraint(
            "execution_arn", "stream", "symbol", name="uq_account_coverage_execution_stream_symbol"
        ),
        Index("ix_account_coverage_account", "account_id", "stream", "symbol", "start_ms"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32), nullable=False)
    stream: Mapped[str] = mapped_column(String(32), nullable=False)
    symbol: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    start_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    end_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    execution_arn: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class ProcessingLog(Base):
    """What happened to an execution on the API side (hydration start/end/failure...)."""

    __tablename__ = "processing_logs"
    __table_args__ = (Index("ix_processing_logs_execution", "execution_arn", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    execution_arn: Mapped[str] = mapped_column(String(255), nullable=False)
    level: Mapped[str] = mapped_column(String(20), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[str | None] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
