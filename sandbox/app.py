"""Request handling without sockets: routing, faults, rate limits, auth, envelope, admin endpoints, stats.

`SandboxApp.handle(request)` returns a `Response`; the HTTP layer (server.py) only moves bytes and carries out
the wire-level faults the response asks for (reset, truncate, hang).

`requestTime` is a JSON number on the public/time, spot symbol, spot history and v3 endpoints and a string on the
mix (futures) endpoints, as in Bitget's captures (BITGET_API.md §1, §10c). Every time comes from the server clock
(clock.py), which may be offset from the local one.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sandbox import client_support, endpoints, fill_endpoints, identity, open_orders, v3
from sandbox.auth import Credentials, check_key, check_signature
from sandbox.clock import Clock
from sandbox.errors import (
    ApiError,
    classic_account,
    ip_not_allowed,
    no_permission,
    not_found,
    too_many_requests,
    unified_account,
)
from sandbox.faults import FaultInjector, parse_fault_config
from sandbox.history import Account
from sandbox.options import ServerOptions
from sandbox.ratelimit import SlidingWindowLimiter
from sandbox.shortpage import shorten
from sandbox.truth import truth, truth_params

REMAIN_HEADER = "x-mbx-used-remain-limit"
Handler = Callable[[Account, Mapping[str, str], int], Any]


@dataclass(frozen=True)
class Route:
    handler: Handler
    signed: bool
    limit: int  # requests per second, per API key (signed) or per client IP (public)
    string_request_time: bool
    paged: bool = False  # a history page: the short_page fault may cut it
    spot_history: bool = False  # spot order lists: options envelope_message_key and empty_spot_history_null


ROUTES = {
    "/api/v2/public/time": Route(endpoints.server_time, False, 20, False),
    "/api/v2/spot/public/symbols": Route(endpoints.spot_symbols, False, 20, False),
    "/api/v2/mix/market/contracts": Route(endpoints.contracts, False, 20, True),
    "/api/v2/spot/trade/history-orders": Route(
        endpoints.spot_history_orders, True, 20, False, paged=True, spot_history=True
    ),
    "/api/v2/spot/trade/history-plan-order": Route(endpoints.spot_plan_history, True, 20, False, paged=True),
    "/api/v2/mix/order/orders-history": Route(endpoints.futures_history, True, 10, True, paged=True),
    "/api/v2/mix/order/orders-plan-history": Route(
        endpoints.futures_plan_history, True, 10, True, paged=True
    ),
    # Open orders (BITGET_API.md §12): limits and envelopes like their history siblings; no short_page fault.
    "/api/v2/spot/trade/unfilled-orders": Route(
        open_orders.spot_unfilled_orders, True, 20, False, spot_history=True
    ),
    "/api/v2/spot/trade/current-plan-order": Route(open_orders.spot_current_plans, True, 20, False),
    "/api/v2/mix/order/orders-pending": Route(open_orders.futures_pending, True, 10, True),
    "/api/v2/mix/order/orders-plan-pending": Route(open_orders.futures_plan_pending, True, 10, True),
    "/api/v2/spot/account/info": Route(identity.spot_account_info, True, 1, False),
    # Read by ccxt's load_markets (client_support.py); limits from ccxt's costs 6.67, 2, 1 (3/s, 10/s, 20/s).
    "/api/v2/spot/public/coins": Route(client_support.spot_coins, False, 3, True),
    "/api/v2/margin/currencies": Route(client_support.margin_currencies, False, 10, False),
    "/api/v3/account/settings": Route(identity.account_settings_v3, True, 20, False),
    # Fills (BITGET_API.md §12): 10/s per UID each, paged like the histories (so the short_page fault cuts them).
    "/api/v2/spot/trade/fills": Route(fill_endpoints.spot_fills, True, 10, False, paged=True),
    "/api/v2/mix/order/fill-history": Route(fill_endpoints.futures_fill_history, True, 10, True, paged=True),
    # The unified account's v3 endpoints (§11): 20/s per UID each; a classic account gets 40084.
    "/api/v3/trade/history-orders": Route(v3.history_orders, True, 20, False, paged=True),
    "/api/v3/trade/fills": Route(v3.fills, True, 20, False, paged=True),
    "/api/v3/trade/unfilled-orders": Route(v3.unfilled_orders, True, 20, False),
}


@dataclass
class Request:
    method: str
    path: str
    query: str  # raw, exactly as sent (the signature covers it)
    headers: Mapping[str, str]
    body: bytes = b""
    client_ip: str = "127.0.0.1"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    wire_fault: str | None = None  # "reset", "truncate" or "timeout": server.py carries it out
    hang_s: float = 0.0


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload, separators=(",", ":")).encode(), headers or {})


class SandboxApp:
    def __init__(
        self,
        account: Account,
        credentials: Credentials,
        enforce_rate_limits: bool,
        faults: FaultInjector,
        default_faults: dict[str, float],
        sleep: Callable[[float], Any],
        options: ServerOptions | None = None,
    ) -> None:
        self.account = account
        self.options = options or ServerOptions()
        self.clock = Clock(self.options.clock_offset_ms)
        self.credentials = credentials
        self.enforce_rate_limits = enforce_rate_limits
        self.faults = faults
        self._default_faults = parse_fault_config(default_faults)
        self._sleep = sleep
        self._limiter = SlidingWindowLimiter()
        self._stats_lock = threading.Lock()
        self.reset()

    # -- admin ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Clear stats and rate-limit windows; restore the profile's faults (and restart their RNG)."""
        with self._stats_lock:
            self._stats: dict[str, dict[str, Any]] = defaultdict(
                lambda: {"requests": 0, "http_429": 0, "faults": Counter(), "status": Counter()}
            )
        self._limiter.clear()
        self.faults.configure(self._default_faults)

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            paths = {
                path: {
                    "requests": s["requests"],
                    "http_429": s["http_429"],
                    "faults": dict(s["faults"]),
                    "status": {str(k): v for k, v in s["status"].items()},
                }
                for path, s in self._stats.items()
            }
        return {
            "requests": sum(p["requests"] for p in paths.values()),
            "http_429": sum(p["http_429"] for p in paths.values()),
            "faults": dict(sum((Counter(p["faults"]) for p in paths.values()), Counter())),
            "endpoints": paths,
        }

    def _count(self, path: str, status: int | None = None, fault: str | None = None) -> None:
        with self._stats_lock:
            entry = self._stats[path]
            if status is None and fault is None:
                entry["requests"] += 1
            if status is not None:
                entry["status"][status] += 1
                entry["http_429"] += status == 429
            if fault is not None:
                entry["faults"][fault] += 1

    # -- requests ------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/sandbox/"):
            return self._admin(request)
        self._count(request.path)
        response = self._api(request) if request.path.startswith("/api/") else self._error(not_found(), False)
        if response.wire_fault not in ("reset", "timeout"):
            self._count(request.path, status=response.status)
        return response

    def _api(self, request: Request) -> Response:
        delay_s, fault = self.faults.draw()
        if delay_s:
            self._sleep(delay_s)
        if fault and fault != "short_page":  # a short page is counted where it really happens
            self._count(request.path, fault=fault)
        route = ROUTES.get(request.path) if request.method == "GET" else None
        if fault == "error_5xx":
            return json_response(
                503,
                {
                    "code": "45001",
                    "msg": "Service Unavailable (sandbox fault)",
                    "requestTime": self.clock.now_ms(),
                    "data": None,
                },
            )
        if fault in ("reset", "timeout"):
            return Response(0, b"", wire_fault=fault, hang_s=self.faults.config.timeout_s)
        response = self._route(request, route, fault)
        if fault == "truncate":
            response.wire_fault = "truncate"
        return response

    def _route(self, request: Request, route: Route | None, fault: str | None) -> Response:
        if route is None:
            return self._error(not_found(), False)
        headers: dict[str, str] = {}
        if fault == "burst_429":
            return self._error(too_many_requests(), route.string_request_time, {REMAIN_HEADER: "0"})
        if self.enforce_rate_limits:
            caller = request.headers.get("ACCESS-KEY") if route.signed else None
            key = (request.path, ("key", caller) if caller else ("ip", request.client_ip))
            allowed, remaining = self._limiter.hit(key, route.limit, time.monotonic())
            headers[REMAIN_HEADER] = str(remaining)
            if not allowed:
                return self._error(too_many_requests(), route.string_request_time, headers)
        try:
            if route.signed:
                self._authenticate(request)
            data = route.handler(self.account, _params(request.query), self.clock.now_ms())
        except ApiError as error:
            return self._error(error, route.string_request_time, headers)
        return self._success(request.path, route, data, fault, headers)

    def _success(
        self, path: str, route: Route, data: Any, fault: str | None, headers: dict[str, str]
    ) -> Response:
        """The 200 answer, after the short_page fault and the optional live spot-history forms."""
        if fault == "short_page" and route.paged:
            short = shorten(data, self.faults.short_length)
            if short is not None:
                data = short
                self._count(path, fault="short_page")
        msg_key = "msg"
        if route.spot_history:
            if self.options.empty_spot_history_null and data == []:
                data = None
            if self.options.envelope_message_key:
                msg_key = "message"
        envelope = self._envelope("00000", "success", data, route.string_request_time, msg_key)
        return json_response(200, envelope, headers)

    def _authenticate(self, request: Request) -> None:
        """Bitget's order: the key names the account; a unified account's v2 calls are refused (40085) before
        the passphrase and signature are looked at; a key without the needed permission or from an IP outside
        its whitelist is refused (40014 / 40018) once the request is authentic; then a classic account's v3
        calls are refused (40084), before their parameters are looked at."""
        check_key(request.headers, self.credentials)
        if self.account.mode == "unified" and request.path.startswith("/api/v2/"):
            raise unified_account()
        body = request.body.decode("utf-8", "replace")
        now = self.clock.now_ms()
        check_signature(
            request.headers, request.method, request.path, request.query, body, self.credentials, now
        )
        if self.options.deny == "permission":
            raise no_permission()
        if self.options.deny == "ip":
            raise ip_not_allowed()
        if self.account.mode != "unified" and request.path.startswith("/api/v3/"):
            raise classic_account()

    def _error(self, error: ApiError, string_time: bool, headers: dict[str, str] | None = None) -> Response:
        envelope = self._envelope(error.code, error.msg, None, string_time)
        return json_response(error.http_status, envelope, headers)

    def _envelope(
        self, code: str, msg: str, data: Any, string_time: bool, msg_key: str = "msg"
    ) -> dict[str, Any]:
        now = self.clock.now_ms()
        return {"code": code, msg_key: msg, "requestTime": str(now) if string_time else now, "data": data}

    def _admin(self, request: Request) -> Response:
        params = _params(request.query)
        try:
            if request.method == "GET" and request.path == "/sandbox/truth":
                query = truth_params(params)
                rows = truth(self.account, now_ms=self.clock.now_ms(), **query)
                return json_response(200, {"fills" if query["kind"] == "fills" else "orders": rows})
            if request.method == "GET" and request.path == "/sandbox/clock":
                return json_response(200, self.clock.state())
            if request.method == "POST" and request.path == "/sandbox/clock":
                return json_response(200, self.clock.apply(_json_body(request, None)))
            if request.method == "GET" and request.path == "/sandbox/stats":
                return json_response(200, self.stats())
            if request.method == "POST" and request.path == "/sandbox/faults":
                self.faults.configure(parse_fault_config(_json_body(request, {})))
                return json_response(200, {"faults": self.faults.config.as_dict()})
            if request.method == "POST" and request.path == "/sandbox/reset":
                self.reset()
                return json_response(200, {"reset": True})
        except (ValueError, TypeError, AttributeError) as error:
            return json_response(400, {"error": str(error)})
        return json_response(404, {"error": f"no admin endpoint {request.method} {request.path}"})


def _json_body(request: Request, empty: Any) -> Any:
    """The request's JSON body (`empty` when there is none); ValueError says it is not JSON."""
    if not request.body:
        return empty
    try:
        return json.loads(request.body)
    except ValueError as error:  # also UnicodeDecodeError
        raise ValueError(f"the body is not valid JSON: {error}") from error


def _params(query: str) -> dict[str, str]:
    """First value of each query parameter; blank values count as absent (Bitget ignores them)."""
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items() if values[0]}
