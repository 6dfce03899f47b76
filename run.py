"""Start the service: `python run.py` (HOST/PORT, default 127.0.0.1:8000).

With nothing configured it runs fully embedded: SQLite under ./data, the in-process state machine, results
under ./data/results served at /results, and the sandbox exchange (demo profile) on loopback. Each choice is
logged at start; an inconsistent configuration stops it with a message naming the variable.
"""

from __future__ import annotations

import sys

import uvicorn

from app.core.config import ConfigError, Settings, load_settings
from app.main import create_app


def describe_choices(settings: Settings) -> list[str]:
    """One line per mode, as the operator should read it (no secrets)."""
    exchange = (
        f"live Bitget at {settings.bitget_base}"
        if settings.exchange_mode == "live"
        else f"SANDBOX (profile {settings.sandbox_profile}, seed {settings.sandbox_seed}) on loopback: "
        "no Bitget credentials configured"
    )
    return [
        f"orchestration: {settings.orchestration_mode} (ORCHESTRATION_MODE)",
        f"results store: {settings.results_store} (RESULTS_STORE)",
        f"database: {settings.safe_database_url} (from {settings.database_source})",
        f"exchange: {exchange}",
        f"listening on http://{settings.host}:{settings.port} (HOST/PORT); docs at /docs",
    ]


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in describe_choices(settings):
        print(f"[run] {line}", file=sys.stderr)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
