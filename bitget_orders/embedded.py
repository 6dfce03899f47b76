"""`--embedded`: the service inside this process, for the duration of one command.

It is the service `make run` starts (`app.main.create_app`, the same configuration: the environment and
`.env`, SQLite under ./data, the sandbox exchange when no Bitget key is set), served by uvicorn on a free
loopback port in a background thread. The CLI then talks to it over HTTP like to any other: one code path.
When the command ends the service stops; an execution still running is resumed by the next start of the service
(AUTO_RESUME).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from types import TracebackType

import uvicorn

from bitget_orders.errors import CliError

START_TIMEOUT_S = 120.0  # migrations and the sandbox's start; a cold first run takes a few seconds
STOP_TIMEOUT_S = 30.0


class EmbeddedService:
    """`with EmbeddedService() as base_url:` the service answers at base_url until the block ends."""

    def __init__(self, log_level: str | None = None) -> None:
        # The CLI prints what matters itself; the service's JSON log lines stay quiet unless LOG_LEVEL says.
        self.log_level = (log_level or os.environ.get("LOG_LEVEL") or "ERROR").upper()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> str:
        try:
            from app.core.config import ConfigError, load_settings
            from app.main import create_app
        except ImportError as exc:
            raise CliError(
                f"the service's code cannot be loaded here ({exc}): run bitget-orders from the project's "
                "virtualenv (`make run` creates .venv), or start the service and use --url"
            ) from exc

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(
            ("127.0.0.1", 0)
        )  # bound here and handed over: no other process can take the port meanwhile
        port = sock.getsockname()[1]
        try:
            settings = load_settings(host="127.0.0.1", port=port, log_level=self.log_level)
        except ConfigError as exc:
            sock.close()
            raise CliError(f"the embedded service cannot start: {exc}") from None
        config = uvicorn.Config(
            create_app(settings), log_level=self.log_level.lower(), access_log=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="embedded-service", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        _wait_started(server, thread)
        return f"http://127.0.0.1:{port}"

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)
        if thread.is_alive():
            logging.getLogger("bitget_orders").warning(
                "the embedded service did not stop within %ss", STOP_TIMEOUT_S
            )


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise CliError(
                "the embedded service did not start (its error is above): fix the configuration it names, "
                "or start the service with `make run` to see its log"
            )
        if time.monotonic() > deadline:
            raise CliError(f"the embedded service did not start within {START_TIMEOUT_S:g} s")
        time.sleep(0.05)
