"""Shared fixtures.

- `sandbox`: the demo-profile sandbox exchange (seed 42), started once per test session and `.reset()` before
  each test that uses it (stats, faults and rate-limit windows cleared; the data never changes).
- `make_sandbox(profile="demo", **kwargs)`: a started SandboxServer of your own (profile name, path, dict or
  Profile; kwargs as SandboxServer takes), stopped at teardown.
See docs/sandbox.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox import SandboxServer


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SandboxServer]:
    with SandboxServer("demo", seed=42) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_session: SandboxServer) -> SandboxServer:
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    started: list[SandboxServer] = []

    def make(profile: Any = "demo", **kwargs: Any) -> SandboxServer:
        server = SandboxServer(profile, **kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
