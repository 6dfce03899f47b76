"""app/core/startup_checks.py: the port, the database driver and the database, each problem one sentence naming
the variable and the fix."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import load_settings
from app.core.startup_checks import (
    CONFIGURATION,
    UNREACHABLE,
    check_database,
    check_port,
    startup_problems,
)


def settings(**values: object):
    return load_settings(_env_file=None, **values)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_port_in_use_names_port_and_a_free_alternative(busy_port: int) -> None:
    problem = check_port("127.0.0.1", busy_port)
    assert problem is not None and problem.exit_code == CONFIGURATION
    assert problem.message.startswith(f"PORT: 127.0.0.1:{busy_port} is already in use")
    assert f"PORT={busy_port + 1}" in problem.message


def test_a_free_port_and_port_zero_pass() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert check_port("127.0.0.1", free) is None
    assert check_port("127.0.0.1", 0) is None


@pytest.mark.parametrize("host", ["no-such-host.invalid", "192.0.2.77"])
def test_a_host_that_is_not_this_machine_names_host(host: str) -> None:
    problem = check_port(host, 8000)
    assert problem is not None and problem.message.startswith("HOST: ") and "127.0.0.1" in problem.message


def test_mysql_without_a_driver_names_database_url_and_the_fix() -> None:
    problem = check_database(settings(database_url="mysql://root:pw@127.0.0.1/bitget_orders"))
    assert problem is not None and problem.exit_code == CONFIGURATION
    assert problem.message.startswith("DATABASE_URL: mysql:// needs the Python driver module 'MySQLdb'")
    assert "mysql+pymysql://" in problem.message and "pw" not in problem.message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://u@h/db", "'postgresql' databases are not supported"),
        ("mysql+nosuchdriver://u@h/db", "unknown driver 'mysql+nosuchdriver'"),
    ],
)
def test_an_unsupported_database_is_named(url: str, words: str) -> None:
    problem = check_database(settings(database_url=url))
    assert problem is not None and words in problem.message


def test_sqlite_passes_and_an_unusable_path_is_named(tmp_path: Path) -> None:
    assert check_database(settings(database_url=f"sqlite:///{tmp_path / 'a' / 'b.db'}")) is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    problem = check_database(settings(database_url=f"sqlite:///{blocker / 'x.db'}"))
    assert problem is not None and problem.exit_code == UNREACHABLE
    assert problem.message.startswith(f"DATABASE_URL: cannot open the SQLite database {blocker / 'x.db'}")


def test_no_server_at_the_address_names_the_host_variables() -> None:
    problem = check_database(settings(mysql_host="127.0.0.1", mysql_port=1, mysql_password="pw"))
    assert problem is not None and problem.exit_code == UNREACHABLE
    assert problem.message.startswith("MYSQL_HOST/MYSQL_PORT: no MySQL server answers at 127.0.0.1:1")


def test_startup_problems_lists_every_problem(busy_port: int) -> None:
    values = settings(port=busy_port, database_url="mysql://u@127.0.0.1/db")
    assert [p.message.split(":")[0] for p in startup_problems(values)] == ["PORT", "DATABASE_URL"]
    assert [p.message.split(":")[0] for p in startup_problems(values, listen=False)] == ["DATABASE_URL"]


@pytest.mark.mysql
def test_a_missing_mysql_database_names_it_and_how_to_create_it(mysql_url: str) -> None:
    url = mysql_url.rsplit("/", 1)[0] + "/bitget_orders_no_such_db"
    problem = check_database(settings(database_url=url))
    assert problem is not None and problem.exit_code == UNREACHABLE
    assert problem.message == (
        "DATABASE_URL: the database 'bitget_orders_no_such_db' does not exist on 127.0.0.1:3306: create it "
        "(CREATE DATABASE `bitget_orders_no_such_db` CHARACTER SET utf8mb4;) or name an existing one"
    )
    by_parts = settings(mysql_host="127.0.0.1", mysql_database="bitget_orders_no_such_db")
    by_parts_problem = check_database(by_parts)
    assert by_parts_problem is not None
    assert by_parts_problem.message.startswith("MYSQL_DATABASE: the database")
    assert check_database(settings(database_url=mysql_url)) is None


@pytest.mark.mysql
def test_a_refused_mysql_user_names_the_user_variables(mysql_url: str) -> None:
    problem = check_database(
        settings(mysql_host="127.0.0.1", mysql_user="nobody_here", mysql_password="hunter2")
    )
    assert problem is not None and problem.message.startswith("MYSQL_USER/MYSQL_PASSWORD: the MySQL server")
    assert "hunter2" not in problem.message
