"""The MariaDB the suite runs on (127.0.0.1:3306, root, no password): a scratch database per session fixture.

Unreachable, the test fails under CI (CI=true: the suite must run there) and is skipped elsewhere."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
import pytest

HOST, PORT, USER = "127.0.0.1", 3306, "root"


def _server() -> pymysql.connections.Connection:
    try:
        return pymysql.connect(host=HOST, port=PORT, user=USER, password="", connect_timeout=3)
    except pymysql.MySQLError as exc:
        message = f"MariaDB unreachable at {HOST}:{PORT}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new, empty database `<prefix>_<random>` (concurrent runs on the shared server never meet); yields its
    SQLAlchemy URL and drops it on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = _server()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"mysql+pymysql://{USER}@{HOST}:{PORT}/{name}"
    finally:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()
