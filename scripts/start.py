"""Check the configuration, the database and the exchange, then start the service (`python scripts/start.py`).

Exits 2 on an inconsistent configuration, 3 when the database or the live exchange cannot be reached.
`--check` runs the checks only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from app.core.config import ConfigError, Settings, load_settings
from app.core.db import make_engine


def check_database(settings: Settings) -> str | None:
    """None when `SELECT 1` works, else the reason (no password in it)."""
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not reachable"; only its class name is shown
        return f"database {settings.safe_database_url} not reachable ({type(exc).__name__})"
    finally:
        engine.dispose()
    return None


def check_exchange(settings: Settings) -> str | None:
    """None when Bitget's server time answers; the sandbox is started by the service itself."""
    if settings.exchange_mode == "sandbox":
        return None
    from lambda_functions.common.bitget import BitgetClient, BitgetError

    client = BitgetClient(settings.bitget_base, timeout_s=settings.bitget_timeout)
    try:
        client.server_time_ms()
    except BitgetError as exc:
        return f"exchange {settings.bitget_base} not reachable ({type(exc).__name__})"
    finally:
        client.close()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="run the checks and exit")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"[start] configuration: {exc}", file=sys.stderr)
        return 2
    print("[start] configuration: OK", file=sys.stderr)
    for problem in (check_database(settings), check_exchange(settings)):
        if problem:
            print(f"[start] {problem}", file=sys.stderr)
            return 3
    print("[start] database and exchange: reachable", file=sys.stderr)
    if args.check:
        return 0
    import run

    return run.main()


if __name__ == "__main__":
    raise SystemExit(main())
