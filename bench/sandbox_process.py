"""The sandbox exchange in a process of its own, for benchmarks.

A benchmark that serves Bitget from its own process measures the sandbox's CPU and memory along with the
code under test; on a 2-core machine the two then compete for the interpreter lock. Here the sandbox runs as
`python -m sandbox` in a child process and is driven over its admin endpoints (truth, stats, faults).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from bench.ports import free_port
from sandbox.auth import Credentials

STARTUP_TIMEOUT_S = 120.0


class SandboxProcess:
    """`with SandboxProcess(profile_dict_or_name) as sandbox:` a running sandbox at `sandbox.base_url`."""

    def __init__(self, profile: str | dict[str, Any], seed: int = 42, *extra_args: str) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="bench-sandbox-")
        if isinstance(profile, dict):
            path = Path(self._dir.name) / "profile.json"
            path.write_text(json.dumps(profile))
            profile = str(path)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.credentials = Credentials()
        self._args = [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(self.port),
            "--seed",
            str(seed),
            "--profile",
            profile,
            *extra_args,
        ]
        self._process: subprocess.Popen[bytes] | None = None
        self._http = requests.Session()

    def __enter__(self) -> SandboxProcess:
        self._process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"sandbox exited: {self._process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                self._http.get(f"{self.base_url}/api/v2/public/time", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("sandbox did not start in time")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            if self._process.stderr is not None:
                self._process.stderr.close()
        self._http.close()
        self._dir.cleanup()

    def truth(
        self, symbol: str, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        params = {"symbol": symbol, "start_ms": start_ms, "end_ms": end_ms}
        response = self._http.get(f"{self.base_url}/sandbox/truth", params=params, timeout=300)
        response.raise_for_status()
        return list(response.json()["orders"])

    def stats(self) -> dict[str, Any]:
        response = self._http.get(f"{self.base_url}/sandbox/stats", timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def set_faults(self, **rates: float) -> None:
        response = self._http.post(f"{self.base_url}/sandbox/faults", json=rates, timeout=30)
        response.raise_for_status()

    def reset(self) -> None:
        self._http.post(f"{self.base_url}/sandbox/reset", timeout=30).raise_for_status()

    def truth_all(
        self, start_ms: int | None = None, end_ms: int | None = None, kind: str = "orders"
    ) -> list[dict[str, Any]]:
        """The truth of every symbol of the account (`kind` orders: what a correct client can obtain now;
        fills: the fills that exist now)."""
        params = {"start_ms": start_ms, "end_ms": end_ms, "kind": kind}
        response = self._http.get(f"{self.base_url}/sandbox/truth", params=params, timeout=300)
        response.raise_for_status()
        return list(response.json()["fills" if kind == "fills" else "orders"])

    def advance_clock(self, ms: int) -> int:
        """Move the sandbox's clock forward (time passes for the exchange); returns its new now in ms."""
        response = self._http.post(f"{self.base_url}/sandbox/clock", json={"advance_ms": ms}, timeout=30)
        response.raise_for_status()
        return int(response.json()["now_ms"])
