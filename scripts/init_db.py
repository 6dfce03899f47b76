"""Create or upgrade the database schema: `python scripts/init_db.py [DATABASE_URL]`.

Runs the Alembic migrations against the URL given, else DATABASE_URL, else the embedded default
sqlite:///./data/bitget_orders.db (creating ./data). Prints where it migrated, never the password.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import make_url

from app.core.db import DEFAULT_DATABASE_URL, run_migrations


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    database_url = args[0] if args else os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    run_migrations(database_url)
    print(f"database schema up to date: {make_url(database_url).render_as_string(hide_password=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
