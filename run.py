"""Start the service: `python run.py` (HOST/PORT, default 127.0.0.1:8000).

With nothing configured it runs fully embedded: SQLite under ./data, the in-process state machine, results
under ./data/results served at /results, and the sandbox exchange (demo profile) on loopback. Each choice is
logged at start. Before anything starts (migrations, the sandbox), the configuration is checked and so are the
port and the database (app/core/startup_checks.py): a problem stops it with one line naming the variable and the
fix, and exit code 2 (the configuration must change) or 3 (the database is not there or refuses).
"""

from __future__ import annotations

import sys

from app.core.config import ConfigError, Settings, load_settings
from app.core.startup_checks import startup_problems


def describe_choices(settings: Settings) -> list[str]:
    """One line per mode, as the operator should read it (no secrets)."""
    exchange = (
        f"live Bitget at {settings.safe_bitget_base}"
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
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    problems = startup_problems(settings)
    for problem in problems:
        print(f"[run] error: {problem.message}", file=sys.stderr)
    if problems:
        return max(problem.exit_code for problem in problems)
    for line in describe_choices(settings):
        print(f"[run] {line}", file=sys.stderr)
    import uvicorn

    from app.main import create_app

    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
