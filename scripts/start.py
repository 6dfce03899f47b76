"""Check the configuration, the database, the exchange and the account, then start the service
(`python scripts/start.py`).

The account check is authenticated: one signed request to Bitget's account info with the configured key (with
no key, against a sandbox started for the check), reporting the account's userId or Bitget's refusal with its
code and message. Exits 2 on an inconsistent configuration, 3 when the database or the live exchange cannot be
reached, 4 when Bitget refuses the key (credentials, unified account, IP whitelist, permission). A check that
could not reach a verdict (429, 5xx, timeout) is a warning. `--check` runs the checks only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.config import ConfigError, Settings, load_settings
from app.core.startup_checks import check_database as database_problem
from lambda_functions.coordinator.account_check import AccountCheck, AccountChecker

ACCOUNT_REFUSED = 4


def check_database(settings: Settings) -> str | None:
    """None when the driver is installed and `SELECT 1` works, else the variable to fix and how (no password)."""
    problem = database_problem(settings)
    return f"database {settings.safe_database_url}: {problem.message}" if problem else None


def check_exchange(settings: Settings) -> str | None:
    """None when Bitget's server time answers; the sandbox is started by the service itself."""
    if settings.exchange_mode == "sandbox":
        return None
    from lambda_functions.common.bitget import BitgetClient, BitgetError

    client = BitgetClient(settings.bitget_base, timeout_s=settings.bitget_timeout)
    try:
        client.server_time_ms()
    except BitgetError as exc:
        return f"exchange {settings.safe_bitget_base} not reachable ({type(exc).__name__}): check BITGET_BASE"
    finally:
        client.close()
    return None


def check_account(settings: Settings) -> AccountCheck:
    """The signed account check with the configured key, or against a sandbox when none is configured."""
    from lambda_functions.common.bitget import Credentials

    if settings.exchange_mode == "live":
        secrets = (settings.bitget_api_key, settings.bitget_api_secret, settings.bitget_api_passphrase)
        key, secret, passphrase = (value.get_secret_value() for value in secrets)
        checker = AccountChecker(settings.bitget_base, Credentials(key, secret, passphrase))
        try:
            return checker.check()
        finally:
            checker.close()
    from sandbox.server import SandboxServer

    with SandboxServer(profile=settings.sandbox_profile, seed=settings.sandbox_seed) as server:
        creds = server.credentials
        checker = AccountChecker(
            server.base_url, Credentials(creds.api_key, creds.api_secret, creds.passphrase)
        )
        try:
            return checker.check()
        finally:
            checker.close()


def describe_account(settings: Settings, result: AccountCheck) -> str:
    where = "live Bitget" if settings.exchange_mode == "live" else "the sandbox (no Bitget key configured)"
    if result.status == "ok":
        return f"account on {where}: ok, {result.account_mode or 'unknown-mode'} account, userId {result.account_id}"
    if result.status == "rejected":
        return f"account on {where}: REFUSED ({result.problem}): {result.message}"
    return f"account on {where}: WARNING, not verified: {result.message}"


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
    account = check_account(settings)
    print(f"[start] {describe_account(settings, account)}", file=sys.stderr)
    if account.rejected:
        return ACCOUNT_REFUSED
    if args.check:
        return 0
    import run

    return run.main()


if __name__ == "__main__":
    raise SystemExit(main())
