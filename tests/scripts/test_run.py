"""`python run.py` with a bad configuration: one line naming the variable and the fix, no traceback, and
nothing started (no migrations, no sandbox)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_py(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py")],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_port_in_use_stops_it_before_migrations(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        done = run_py(tmp_path, PORT=str(port), DATABASE_URL=f"sqlite:///{database}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"[run] error: PORT: 127.0.0.1:{port} is already in use by another process (is the service already "
        f"running?): stop that process, or choose another port, e.g. PORT={port + 1}"
    ]
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []  # the migrations never ran


@pytest.mark.parametrize(
    ("env", "code", "words"),
    [
        ({"DATABASE_URL": "mysql://root:hunter2@127.0.0.1/bitget_orders"}, 2, "DATABASE_URL: mysql:// needs"),
        ({"BITGET_BASE": "http://user:hunter2@"}, 2, "BITGET_BASE has no host ('http://user:***@')"),
        ({"PORT": "eighty"}, 2, "PORT: Input should be a valid integer"),
    ],
)
def test_bad_configuration_is_one_line_without_a_traceback(tmp_path: Path, env, code, words) -> None:
    done = run_py(tmp_path, PORT=env.pop("PORT", "0"), **env)
    assert done.returncode == code, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr and "hunter2" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
