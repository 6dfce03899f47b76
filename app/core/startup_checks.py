"""What can only be checked by trying, done before the service runs migrations or starts the sandbox: the port
is free, the database driver is installed, the database answers. Each problem is one sentence naming the
variable and the fix, never a traceback, never a password.

`python run.py` (and `scripts/start.py`, `python main.py`) print them and exit: 2 when the configuration must
change (PORT/HOST, a driver that is not installed), 3 when what it names is not there (no server answers, an
unknown database, a refused user).
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from app.core.config import Settings
from app.core.db import ensure_sqlite_directory

CONFIGURATION, UNREACHABLE = 2, 3
CONNECT_TIMEOUT_S = 5
PYMYSQL_EXAMPLE = "mysql+pymysql://user:password@localhost:3306/bitget_orders"
# MySQL/MariaDB client and server error numbers (the same with PyMySQL and mysqlclient)
ER_DBACCESS_DENIED, ER_ACCESS_DENIED, ER_BAD_DB = 1044, 1045, 1049
ER_ACCESS_DENIED_NO_PASSWORD = 1698  # MariaDB: a user that must log in by another plugin (e.g. unix_socket)
CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST = 2003, 2005


@dataclass(frozen=True)
class StartupProblem:
    message: str
    exit_code: int = CONFIGURATION


def startup_problems(settings: Settings, *, listen: bool = True) -> list[StartupProblem]:
    """Every problem found (the port only when `listen`); empty when the service can start."""
    found = [check_port(settings.host, settings.port)] if listen else []
    found.append(check_database(settings))
    return [problem for problem in found if problem is not None]


def check_port(host: str, port: int) -> StartupProblem | None:
    """None when HOST:PORT can be listened on (tried with a socket bound and closed at once)."""
    if port == 0:
        return None  # any free port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError):
        return StartupProblem(
            f"HOST: {host!r} is not a name or address of this machine: use 127.0.0.1 (this machine only) or "
            "0.0.0.0 (every interface)"
        )
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a port in TIME_WAIT is free
        try:
            probe.bind(address)
        except OSError as exc:
            return StartupProblem(_bind_problem(host, port, exc))
    return None


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"PORT: {host}:{port} is already in use by another process (is the service already running?): "
            f"stop that process, or choose another port, e.g. PORT={port + 1 if port < 65535 else 8000}"
        )
    if exc.errno == errno.EACCES:
        return f"PORT: listening on port {port} needs privileges here: choose a port from 1024 up, e.g. PORT=8000"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"HOST: {host} is not an address of this machine: use 127.0.0.1 or 0.0.0.0"
    return f"HOST/PORT: cannot listen on {host}:{port} ({exc.strerror or type(exc).__name__})"


def check_database(settings: Settings) -> StartupProblem | None:
    """None when the database's driver is installed and it answers `SELECT 1`."""
    url = make_url(settings.effective_database_url)
    names = _variables(settings)
    problem = _driver_problem(url, names["url"])
    if problem:
        return StartupProblem(problem)
    if url.get_backend_name() == "sqlite":
        return _try_sqlite(url, names["url"])
    engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        return StartupProblem(_mysql_problem(url, names, exc), UNREACHABLE)
    finally:
        engine.dispose()
    return None


def _variables(settings: Settings) -> dict[str, str]:
    """Which variable to name for each part of the database's address."""
    if settings.database_source == "MYSQL_*":
        return {
            "url": "MYSQL_HOST",
            "host": "MYSQL_HOST/MYSQL_PORT",
            "user": "MYSQL_USER/MYSQL_PASSWORD",
            "database": "MYSQL_DATABASE",
        }
    return dict.fromkeys(("url", "host", "user", "database"), "DATABASE_URL")


def _driver_problem(url: URL, variable: str) -> str | None:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "mysql", "mariadb"):
        return (
            f"{variable}: {backend!r} databases are not supported: use {PYMYSQL_EXAMPLE} or sqlite:///path.db"
        )
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        return f"{variable}: unknown driver {url.drivername!r}: write {PYMYSQL_EXAMPLE}"
    except ImportError as exc:
        return (
            f"{variable}: {url.drivername}:// needs the Python driver module {exc.name!r}, which is not installed: "
            f"write mysql+pymysql:// (PyMySQL is installed), e.g. {PYMYSQL_EXAMPLE}"
        )
    return None


def _try_sqlite(url: URL, variable: str) -> StartupProblem | None:
    path = url.database or ":memory:"
    try:
        ensure_sqlite_directory(url.render_as_string(hide_password=False))
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (OSError, DBAPIError) as exc:
        reason = getattr(exc, "orig", exc)
        return StartupProblem(
            f"{variable}: cannot open the SQLite database {path} ({reason}): make its directory writable, or "
            "point DATABASE_URL at another file (sqlite:////absolute/path.db)",
            UNREACHABLE,
        )
    return None


def _mysql_problem(url: URL, names: dict[str, str], exc: DBAPIError) -> str:
    args = getattr(exc.orig, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    where = f"{url.host}:{url.port or 3306}"
    if code == ER_BAD_DB:
        return (
            f"{names['database']}: the database {url.database!r} does not exist on {where}: create it "
            f"(CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4;) or name an existing one"
        )
    if code in (ER_ACCESS_DENIED, ER_ACCESS_DENIED_NO_PASSWORD):
        return (
            f"{names['user']}: the MySQL server at {where} refused user {url.username!r} (wrong password, or "
            "not allowed from this host): fix the user or the password"
        )
    if code == ER_DBACCESS_DENIED:
        return (
            f"{names['user']}: user {url.username!r} may not use the database {url.database!r} on {where}: "
            f"GRANT ALL ON `{url.database}`.* TO the user, or use another user"
        )
    if code in (CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST):
        return (
            f"{names['host']}: no MySQL server answers at {where}: start it, or fix the host and port "
            "(unset DATABASE_URL and MYSQL_HOST for the embedded SQLite database)"
        )
    return (
        f"{names['url']}: the database at {where} did not answer SELECT 1 "
        f"({type(exc.orig).__name__}{f' {code}' if code else ''})"
    )
