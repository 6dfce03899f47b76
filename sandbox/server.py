"""The HTTP layer: a stdlib ThreadingHTTPServer (HTTP/1.1, keep-alive) around SandboxApp, and SandboxServer,
the in-process API tests and benchmarks use.

Using the stdlib server keeps every byte on the wire under our control: a "reset" fault closes the socket with
SO_LINGER 0 (the client sees a TCP RST), "truncate" sends the full Content-Length but half the body, "timeout"
holds the request open for timeout_s and then closes it without an answer.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from sandbox.app import Request, SandboxApp
from sandbox.auth import Credentials
from sandbox.clock import Clock
from sandbox.faults import FaultInjector, parse_fault_config
from sandbox.history import Account
from sandbox.options import ServerOptions, parse_options
from sandbox.profiles import Profile, load_profile
from sandbox.truth import truth


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: SandboxApp
    app_stop: threading.Event

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.reset_sockets: set[socket.socket] = set()

    def shutdown_request(self, request: Any) -> None:
        # A reset connection must not get the FIN of shutdown(): closing with SO_LINGER 0 sends the RST.
        if request in self.reset_sockets:
            self.reset_sockets.discard(request)
            self.close_request(request)
            return
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms a request.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and benches make many requests
        pass

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        # HTTPMessage.get is case-insensitive, as header lookups must be.
        headers = cast(Mapping[str, str], self.headers)
        request = Request(self.command, path, query, headers, body, self.client_address[0])
        response = self.server.app.handle(request)
        if response.wire_fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.reset_sockets.add(self.connection)
            self.close_connection = True
            return
        if response.wire_fault == "timeout":
            self.server.app_stop.wait(response.hang_s)
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.wire_fault == "truncate":
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            return
        self.wfile.write(response.body)


class SandboxServer:
    """A Bitget v2-compatible exchange on loopback. Use as a context manager or call start()/stop().

    The options after `now_ms` override the profile's (None: keep the profile's value); docs/sandbox.md."""

    def __init__(
        self,
        profile: str | Path | dict[str, Any] | Profile = "demo",
        seed: int = 42,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Credentials | None = None,
        enforce_rate_limits: bool = True,
        now_ms: int | None = None,
        *,
        clock_offset_ms: int | None = None,
        account_mode: str | None = None,
        deny: str | None = None,
        envelope_message_key: bool | None = None,
        empty_spot_history_null: bool | None = None,
    ) -> None:
        self.profile = load_profile(profile)
        overrides = {
            "clock_offset_ms": clock_offset_ms,
            "account_mode": account_mode,
            "deny": deny,
            "envelope_message_key": envelope_message_key,
            "empty_spot_history_null": empty_spot_history_null,
        }
        self.options: ServerOptions = parse_options(
            {name: value for name, value in overrides.items() if value is not None}, self.profile.options
        )
        self.seed = seed
        self.credentials = credentials or Credentials()
        # The data is anchored on the server clock (offset included), so no order is newer than its "now".
        self.anchor_ms = now_ms if now_ms is not None else Clock(self.options.clock_offset_ms).now_ms()
        self._address = (host, port)
        self._stop = threading.Event()
        faults = FaultInjector(seed)
        parse_fault_config(self.profile.faults)  # fail fast on a bad profile, before any socket is opened
        self.app = SandboxApp(
            Account(self.profile, seed, self.anchor_ms, self.options.account_mode),
            self.credentials,
            enforce_rate_limits,
            faults,
            self.profile.faults,
            self._stop.wait,
            self.options,
        )
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        self._stop.clear()
        self._httpd = _HTTPServer(self._address)
        self._httpd.app = self.app
        self._httpd.app_stop = self._stop
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging "timeout" faults are released at once."""
        if self._httpd is None:
            return
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the sandbox is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    def truth(
        self,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        kind: str = "orders",
        stream: str | None = None,
    ) -> list[dict[str, Any]]:
        """kind "orders": every finished order of `symbol` (None: of every symbol) a correct client can fetch
        now in [start, end] within retention; kind "open": the orders open now as the open-order endpoints show
        them; kind "fills": the fills that exist now in [start, end] within retention. Newest first, each with
        `stream` added; `stream` keeps one stream's rows (truth.py)."""
        return truth(self.app.account, symbol, start_ms, end_ms, self.app.clock.now_ms(), kind, stream)

    def now_ms(self) -> int:
        """The server clock: the local clock plus the clock offset (`options.clock_offset_ms` at start)."""
        return self.app.clock.now_ms()

    def advance_clock(self, ms: int) -> int:
        """Time passes for the exchange: the server clock moves `ms` (>= 0) forward; returns the new now."""
        return self.app.clock.advance(ms)

    def set_clock_offset(self, offset_ms: int) -> int:
        """Server clock = local clock + `offset_ms` from now on; returns the new now."""
        return self.app.clock.set_offset(offset_ms)

    def set_faults(self, **rates: float) -> dict[str, float]:
        """Replace the fault configuration (fields not given are 0); ValueError names a bad field."""
        self.app.faults.configure(parse_fault_config(rates))
        return self.app.faults.config.as_dict()

    def stats(self) -> dict[str, Any]:
        return self.app.stats()

    def reset(self) -> None:
        """Clear stats and rate-limit windows and restore the profile's faults; the data stays."""
        self.app.reset()
