"""The account's ledger lock: one writing transaction at a time per account on MariaDB, others never wait."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from app.core.db import make_engine
from app.services.ledger_writes import locks
from app.services.ledger_writes.locks import LedgerBusyError, ledger_transaction, lock_name


def test_lock_names_fit_mysql_and_differ_per_database_and_account() -> None:
    names = {lock_name(db, account) for db in ("a", "b") for account in ("1", "2", "x" * 32)}
    assert len(names) == 6 and max(map(len, names)) <= 64


@pytest.mark.mysql  # SQLite serialises writers itself: the named lock is MariaDB's
def test_a_second_writer_of_the_same_account_waits_and_another_account_does_not(
    mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(mysql_url)
    try:
        _second_writer_waits(engine, monkeypatch)
    finally:
        engine.dispose()


def _second_writer_waits(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "LOCK_TIMEOUT_S", 1)
    with ledger_transaction(engine, "111") as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        with pytest.raises(LedgerBusyError, match="111"), ledger_transaction(engine, "111"):
            pass  # pragma: no cover (never entered)
        with ledger_transaction(engine, "222") as other:
            assert other.execute(text("SELECT 2")).scalar() == 2
    with ledger_transaction(engine, "111") as again:  # released after the first one ended
        assert again.execute(text("SELECT 3")).scalar() == 3


def _write_then_fail(engine: Engine) -> None:
    with ledger_transaction(engine, "111") as connection:
        connection.execute(
            text(
                "INSERT INTO processing_logs (execution_arn, level, message, created_at) "
                "VALUES ('arn:x', 'INFO', 'm', '2026-01-01')"
            )
        )
        raise RuntimeError("boom")


def test_a_failed_transaction_releases_the_lock_and_rolls_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locks, "LOCK_TIMEOUT_S", 1)
    with pytest.raises(RuntimeError, match="boom"):
        _write_then_fail(engine)
    with ledger_transaction(
        engine, "111"
    ) as connection:  # not LedgerBusyError: the lock went with the failure
        assert connection.execute(text("SELECT COUNT(*) FROM processing_logs")).scalar() == 0
