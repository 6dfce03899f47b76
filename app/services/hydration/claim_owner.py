"""Who holds a hydration claim, and whether that holder can still be running it.

A claim records its owner as `host:pid:start`, where `start` is the process's start time (clock ticks since boot,
from /proc; psutil's create time where there is no /proc), so a pid reused by a later process is not mistaken for
the owner. Another process decides the owner is **dead** when:
- it is on the same host and no process has that pid, or the process with that pid started at another time
  (a restart, e.g. a container whose API is always pid 1);
- it is this very process but the claim is not among the hydrations this process is running (a thread that
  can no longer finish it).
On another host nothing can be told (`False`): the heartbeat staleness rule decides there. Processes that share a
hostname must share a pid namespace for this to hold (true on one machine, one container or one pod).
"""

from __future__ import annotations

import functools
import os
import socket
import threading

_LIVE_TOKENS: set[str] = set()  # claims this process is working on (claimed, not yet finished)
_LIVE_LOCK = threading.Lock()
_MAX_HOST = 200


def process_start(pid: int) -> str | None:
    """The start time of process `pid` as text, None when it cannot be read (or there is no such process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
        # Field 2 (the command) is in parentheses and may contain spaces: split after its closing one.
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    try:
        return f"{psutil.Process(pid).create_time():.2f}"
    except (psutil.Error, OSError):
        return None


@functools.cache
def _this_process() -> tuple[str, int, str]:
    return socket.gethostname()[:_MAX_HOST], os.getpid(), process_start(os.getpid()) or ""


def current_owner() -> str:
    """`host:pid:start` of this process (forked children get their own: the cache is keyed by pid)."""
    host, pid, start = _this_process()
    if pid != os.getpid():  # a fork: recompute
        _this_process.cache_clear()
        host, pid, start = _this_process()
    return f"{host}:{pid}:{start}"


def hold(token: str) -> None:
    with _LIVE_LOCK:
        _LIVE_TOKENS.add(token)


def release(token: str) -> None:
    with _LIVE_LOCK:
        _LIVE_TOKENS.discard(token)


def _held_here(token: str | None) -> bool:
    with _LIVE_LOCK:
        return token is not None and token in _LIVE_TOKENS


def owner_is_dead(owner: str | None, token: str | None = None) -> bool:
    """True only when the claim's owner certainly cannot be running it any more (see the module's rules)."""
    if not owner or owner.count(":") < 2:
        return False  # not recorded (a claim made before owners were): the heartbeat rule decides
    host, pid_text, start = owner.rsplit(":", 2)
    if host != socket.gethostname()[:_MAX_HOST] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if owner == current_owner():
        return not _held_here(token)
    if not _pid_exists(pid):
        return True
    now_start = process_start(pid)
    return bool(start and now_start and now_start != start)


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True
