"""Engine, sessions and migrations: built once per process, shared by the API and the scripts.

SQLite (the embedded default) gets WAL so readers never wait for the hydration writer, and a busy timeout so
concurrent writers queue instead of failing. MySQL/MariaDB gets pre-ping/recycle (idle connections are cut by
the server) and READ COMMITTED, so a poll reads the hydration progress committed a moment ago.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///./data/bitget_orders.db"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Safe with WAL (a crash loses at most the last commits, never corrupts) and much faster.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the directory of a file-based SQLite database (`./data` for the default)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(database_url: str) -> Engine:
    """An engine tuned for the backend named by `database_url` (sqlite:/// or mysql+pymysql://)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        ensure_sqlite_directory(database_url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend in ("mysql", "mariadb"):
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_recycle=1800,
            pool_size=10,
            max_overflow=10,
            isolation_level="READ COMMITTED",
        )
    raise ValueError(f"DATABASE_URL: unsupported backend {backend!r} (use sqlite:/// or mysql+pymysql://)")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (services return plain dicts built after commits)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Any:
    """The project's Alembic configuration pointed at `database_url`."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # ConfigParser interpolates '%': a URL-encoded password must survive it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def run_migrations(database_url: str) -> None:
    """`alembic upgrade head` against `database_url`, programmatically (idempotent)."""
    from alembic import command

    ensure_sqlite_directory(database_url)
    # Alembic announces each of its plugins at INFO on every start: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    command.upgrade(alembic_config(database_url), "head")
