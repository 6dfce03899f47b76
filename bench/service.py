"""The embedded service on a sandbox, served by uvicorn in a thread: what the whole-system benches time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from app.core.config import Settings, load_settings
from app.main import Exchange, Overrides, create_app
from bench.ports import free_port
from bench.sandbox_process import SandboxProcess


class ThreadedServer:
    """uvicorn in a background thread; `with` starts it and waits until it accepts connections."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@contextmanager
def embedded_service(sandbox: SandboxProcess, workdir: str) -> Iterator[tuple[str, Settings]]:
    """The service with its embedded defaults (SQLite and results under `workdir`) trading on `sandbox`;
    yields its base URL and settings while it serves."""
    port = free_port()
    settings = load_settings(
        _env_file=None,
        port=port,
        log_level="WARNING",
        database_url=f"sqlite:///{Path(workdir) / 'bench.db'}",
        results_dir=str(Path(workdir) / "results"),
    )
    creds = sandbox.credentials
    exchange = Exchange("sandbox", sandbox.base_url, creds.api_key, creds.api_secret, creds.passphrase)
    with ThreadedServer(create_app(settings, overrides=Overrides(exchange=exchange)), port):
        yield f"http://127.0.0.1:{port}", settings
