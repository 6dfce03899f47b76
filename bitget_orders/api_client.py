"""The service's HTTP API, as the CLI calls it: one request path, endpoint paths named in one place, and every
failure translated here into `ServiceUnreachable` or `ApiError` carrying the API's own message."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import requests

from bitget_orders.errors import ApiError, CliError, ServiceUnreachable

DEFAULT_URL = "http://127.0.0.1:8000"
START_HINT = (
    "start the service with `make run` (or `python run.py`), point --url (or BITGET_ORDERS_URL) at it, "
    "or pass --embedded to run it inside this command"
)
RecordKind = Literal["orders", "fills"]
NAME_SEARCH = 1000  # newest executions searched for a name given instead of an ARN


@dataclass(frozen=True)
class Source:
    """Where records are read: one execution's (by ARN) or one account's ledger, orders or fills."""

    kind: RecordKind
    execution_arn: str | None = None
    account_id: str | None = None

    @property
    def page_path(self) -> str:
        if self.execution_arn is not None:
            tail = "database" if self.kind == "orders" else "fills"
            return f"/orders/{arn_path(self.execution_arn)}/{tail}"
        return f"/accounts/{quote(str(self.account_id), safe='')}/{self.kind}"

    @property
    def export_path(self) -> str:
        if self.execution_arn is not None and self.kind == "orders":
            return f"/orders/{arn_path(self.execution_arn)}/export"
        return f"{self.page_path}/export"


def execution_name(arn: str) -> str:
    """The execution's name: the 8th field of a standard or EXPRESS ARN."""
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else arn


def arn_path(arn: str) -> str:
    """An ARN as a path segment (its colons stay, as the API's routes expect)."""
    return quote(arn, safe=":")


class ApiClient:
    """Calls the service at `base_url`; `timeout_s` bounds each answer (exports: each chunk)."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "bitget-orders-cli"

    def close(self) -> None:
        self._session.close()

    # The one request path ---------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """The JSON answer of `method path`; raises ServiceUnreachable or ApiError."""
        response = self._send(method, path, params=params, body=body, stream=False)
        try:
            return response.json()
        except ValueError:
            raise ApiError(method, path, response.status_code, "the answer is not JSON") from None

    def stream(self, path: str, params: dict[str, Any] | None = None) -> Iterator[bytes]:
        """The body of `GET path` in chunks as they arrive (exports: bounded memory whatever their size)."""
        response = self._send("GET", path, params=params, body=None, stream=True)
        try:
            yield from response.iter_content(chunk_size=64 * 1024)
        except requests.RequestException as exc:
            raise ServiceUnreachable(
                f"the service at {self.base_url} stopped answering mid-stream: {exc}"
            ) from exc
        finally:
            response.close()

    def _send(
        self, method: str, path: str, *, params: dict[str, Any] | None, body: Any, stream: bool
    ) -> requests.Response:
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            response = self._session.request(
                method, self.base_url + path, params=clean, json=body, timeout=self.timeout_s, stream=stream
            )
        except requests.Timeout as exc:
            raise ServiceUnreachable(
                f"the service at {self.base_url} did not answer {method} {path} within {self.timeout_s:g} s: "
                "it may be overloaded; try again, or raise --timeout"
            ) from exc
        except requests.RequestException as exc:
            raise ServiceUnreachable(f"cannot reach {self.base_url}: {START_HINT}") from exc
        if response.status_code >= 400:
            body_json = _json_or_none(response)
            detail = describe_detail(body_json, response.text)
            response.close()
            raise ApiError(method, path, response.status_code, detail, body_json)
        return response

    # Endpoints (docs/api.md) -------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return dict(self.request("GET", "/info"))

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", "/orders", body=body))

    def sync(self, account_id: str, body: dict[str, Any] | None) -> dict[str, Any]:
        path = f"/accounts/{quote(account_id, safe='')}/sync"
        return dict(self.request("POST", path, body=body or None))

    def resolve(self, arn_or_name: str) -> str:
        """The ARN itself, or the ARN of the execution with this name among the newest (`list` shows names)."""
        text = arn_or_name.strip()
        if text.startswith("arn:"):
            return text
        for skip in range(0, NAME_SEARCH, 100):
            rows = self.executions(skip, 100).get("executions") or []
            for row in rows:
                arn = str(row.get("execution_arn") or "")
                if execution_name(arn) == text:
                    return arn
            if len(rows) < 100:
                break
        raise CliError(
            f"no execution named {text!r} among the {NAME_SEARCH} newest: give its full ARN "
            "(`bitget-orders list --json` shows them)"
        )

    def status(self, arn: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/orders/{arn_path(arn)}"))

    def resume(self, arn: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/orders/{arn_path(arn)}/resume"))

    def cancel(self, arn: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/orders/{arn_path(arn)}/cancel"))

    def executions(self, skip: int, limit: int) -> dict[str, Any]:
        return dict(self.request("GET", "/orders/list", params={"skip": skip, "limit": limit}))

    def page(self, source: Source, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("GET", source.page_path, params=params))

    def export(self, source: Source, params: dict[str, Any]) -> Iterator[bytes]:
        return self.stream(source.export_path, params)

    def accounts(self) -> dict[str, Any]:
        return dict(self.request("GET", "/accounts"))

    def account(self, account_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/accounts/{quote(account_id, safe='')}"))


def _param(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def describe_detail(body: Any, text: str = "") -> str:
    """The API's message in one line: its `detail` sentence, or each 422 problem as `field: message`."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        if detail == "Not Found":  # FastAPI's answer for a path it has no route for
            return "Not Found (this service has no such endpoint: is it an older version?)"
        return detail
    if isinstance(detail, list) and detail:
        return "; ".join(_problem(item) for item in detail[:5])
    snippet = " ".join(text.split())[:300]
    return snippet or "no message"


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = [str(part) for part in item.get("loc") or []]
    where = ".".join(loc[1:] or loc)  # drop "body"/"query"/"path": the field's name is what a user knows
    message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
