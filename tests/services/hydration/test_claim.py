"""A hydration cut off by a crash is taken over as soon as its owner is known to be dead (host:pid:start on the
claim), and after the heartbeat goes stale when that cannot be told (another host, a claim without owner)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.services.database import Database
from app.services.execution_removal import ExecutionBusyError
from app.services.hydration import claim_owner
from tests.services.factories import file_source, make_orders, write_document

ARN = "arn:aws:states:us-east-2:1:execution:bitget-orders:takeover"
ORDER_COUNT = 500
PROJECT = Path(__file__).resolve().parents[3]

CLAIMER = """
import sys, time
from app.core.db import make_engine, make_session_factory
from app.services.database import open_database
db = open_database(make_session_factory(make_engine(sys.argv[1])))
print(db.hydration.claims.take(sys.argv[2], "file:///result.json"), flush=True)
time.sleep(600)
"""


@pytest.fixture
def document(tmp_path: Path) -> Path:
    return write_document(tmp_path / "result.json", make_orders(ORDER_COUNT))


def _claim_columns(engine: Engine) -> tuple:
    with engine.connect() as connection:
        return tuple(
            connection.execute(
                text(
                    "SELECT hydration_state, hydration_token, hydration_owner FROM execution_results "
                    "WHERE execution_arn = :a"
                ),
                {"a": ARN},
            ).one()
        )


def _set_claim(engine: Engine, owner: str | None, heartbeat: dt.datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE execution_results SET hydration_state = 'saving', hydration_token = 'theirs', "
                "hydration_owner = :o, hydration_heartbeat_at = :h, orders_saved = 7 WHERE execution_arn = :a"
            ),
            {"o": owner, "h": heartbeat, "a": ARN},
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_a_claim_records_its_owner_process(db: Database, engine: Engine, document: Path) -> None:
    token = db.hydration.claims.take(ARN, "file")
    state, stored_token, owner = _claim_columns(engine)
    assert (state, stored_token) == ("saving", token)
    host, pid, start = owner.rsplit(":", 2)
    assert (host, int(pid), start) == (
        socket.gethostname(),
        os.getpid(),
        claim_owner.process_start(os.getpid()),
    )
    assert start  # the process start is known on this platform
    with pytest.raises(ExecutionBusyError):  # a live claim: the execution cannot be removed under it
        db.removal.begin_delete(ARN)


def test_a_crashed_processes_claim_is_taken_over_at_once(
    db: Database, engine: Engine, database_url: str, document: Path
) -> None:
    # GIVEN another process of this host that claimed the hydration (a fresh heartbeat) and is still alive
    child = subprocess.Popen(
        [sys.executable, "-c", CLAIMER, database_url, ARN], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        token = child.stdout.readline().strip()
        assert token and _claim_columns(engine)[1] == token
        assert _claim_columns(engine)[2].split(":")[1] == str(child.pid)
        # WHEN this process asks for the hydration while the owner lives
        # THEN it is refused (the owner may be loading it), though the 300 s heartbeat rule is far from expiring
        assert db.hydration.hydrate(ARN, file_source(document), source="file").state == "saving"
    finally:
        child.kill()  # WHEN the owner dies (kill -9: no cleanup at all)
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()
    # THEN the next caller takes the hydration over at once and completes it, exactly once
    state = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (state.state, state.orders_saved) == ("saved", ORDER_COUNT)
    assert db.orders.count_orders(ARN) == ORDER_COUNT
    logs = db.executions.list_logs(ARN)
    assert [log["message"] for log in logs] == [
        "hydration taken over",
        "hydration started",
        "hydration finished",
    ]
    assert logs[0]["level"] == "WARNING"
    assert logs[0]["details"]["reason"] == "owner process is gone"
    assert logs[0]["details"]["previous_owner"].split(":")[1] == str(child.pid)


def test_a_reused_pid_with_another_start_time_is_a_dead_owner(
    db: Database, engine: Engine, document: Path
) -> None:
    # GIVEN a claim by "this pid" in an earlier life (e.g. the API restarted as pid 1 in its container)
    db.hydration.claims.take(ARN, "file")
    _set_claim(engine, f"{socket.gethostname()}:{os.getpid()}:1", _now())
    # THEN it is taken over at once
    assert db.hydration.hydrate(ARN, file_source(document), source="file").state == "saved"
    assert db.executions.list_logs(ARN)[0]["details"]["reason"] == "owner process is gone"


@pytest.mark.parametrize("owner", ["elsewhere:1:1", None])
def test_an_owner_that_cannot_be_checked_falls_back_to_the_heartbeat(
    db: Database, engine: Engine, document: Path, owner: str | None
) -> None:
    # GIVEN a claim by a process of another host (or one recorded before owners were), heartbeat fresh
    db.hydration.claims.take(ARN, "file")
    _set_claim(engine, owner, _now())
    # THEN it is not taken over while its heartbeat is fresh
    assert db.hydration.hydrate(ARN, file_source(document), source="file").state == "saving"
    # WHEN the heartbeat is older than the 300 s rule
    _set_claim(engine, owner, _now() - dt.timedelta(seconds=301))
    # THEN it is taken over
    state = db.hydration.hydrate(ARN, file_source(document), source="file")
    assert (state.state, state.orders_saved) == ("saved", ORDER_COUNT)
    assert db.executions.list_logs(ARN)[0]["details"]["reason"] == "heartbeat stale"


def test_owner_liveness_rules() -> None:
    me = claim_owner.current_owner()
    host, pid, start = me.rsplit(":", 2)
    assert claim_owner.owner_is_dead(me, "not-held")  # this process, but nothing here runs that claim
    claim_owner.hold("held-token")
    try:
        assert not claim_owner.owner_is_dead(me, "held-token")
    finally:
        claim_owner.release("held-token")
    assert claim_owner.owner_is_dead(me, "held-token")
    parent = os.getppid()
    parent_owner = f"{host}:{parent}:{claim_owner.process_start(parent)}"
    assert not claim_owner.owner_is_dead(parent_owner)  # alive, same start
    assert claim_owner.owner_is_dead(f"{host}:{parent}:0")  # that pid now belongs to another process
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    assert claim_owner.owner_is_dead(f"{host}:{finished.stdout.strip()}:1")  # no such process any more
    for unknown in (None, "", "garbage", f"other-{host}:{pid}:{start}", f"{host}:abc:1"):
        assert not claim_owner.owner_is_dead(unknown)
