"""The live checks behind GET /info: is each part the service depends on usable right now?

- `configuration`: the settings loaded and were consistent (an inconsistent configuration never starts, so
  this is true whenever the service answers; it is listed so `valid` covers everything);
- `database`: `SELECT 1` through the engine;
- `exchange`: Bitget's (or the sandbox's) server time, with a short timeout and no retry;
- `results_store`: a small probe object written, read back and deleted;
- `account`: the authenticated check (one signed request to `/api/v2/spot/account/info`, remembered for a
  minute): true only when Bitget accepted the key; the outcome (userId, or the problem with Bitget's code and
  text) is returned under `account`.

A failed check appears in `problems` with the exception's type only: exception text may carry a URL with a
password, and /info never shows a secret. The account check's text is Bitget's, with the credentials redacted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.account_check import AccountCheck

PROBE_NAME = "_health/probe.json"


@dataclass(frozen=True)
class HealthReport:
    """What the live checks found; `problems` names each failed one (`name: ErrorType`)."""

    checks: dict[str, bool]
    problems: list[str]
    account: dict[str, Any] | None = None  # the account check's outcome; None: no check in this process

    @property
    def valid(self) -> bool:
        return all(self.checks.values())


@dataclass
class HealthChecks:
    engine: Engine
    store: ResultsStore
    results_prefix: str
    exchange_time: Callable[[], Any] | None  # None: no exchange configured, nothing to check
    account: Callable[[], AccountCheck] | None = None  # None: no credentials in this process

    def run(self) -> HealthReport:
        """Every check, run now; a failure is reported, never raised."""
        checks: dict[str, bool] = {"configuration": True}
        problems: list[str] = []
        probes: dict[str, Callable[[], Any]] = {
            "database": self._database,
            "results_store": self._results_store,
        }
        if self.exchange_time is not None:
            probes["exchange"] = self.exchange_time
        for name, probe in probes.items():
            try:
                probe()
            except Exception as exc:  # any failure means "not usable": reported, never raised
                checks[name] = False
                problems.append(f"{name}: {type(exc).__name__}")
            else:
                checks[name] = True
        if self.account is None:
            return HealthReport(checks, problems)
        account = self.account()
        checks["account"] = account.status == "ok"
        if not checks["account"]:
            problems.append(f"account: {account.status} ({account.message})")
        return HealthReport(checks, problems, account.as_dict())

    def _database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()

    def _results_store(self) -> None:
        key = f"{self.results_prefix}{PROBE_NAME}"
        stamp = {"checked_at_ms": int(time.time() * 1000)}
        self.store.put_json(key, stamp)
        try:
            if self.store.get_json(key) != stamp:
                raise OSError("the probe read back differs from what was written")
        finally:
            self.store.delete([key])
