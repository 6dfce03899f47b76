"""Validation of an extraction request: symbols, the time window and the per-request options.

Every rejection raises `RequestError` with a message that names the problem; nothing is started or written for
a rejected request. Times are integer milliseconds since the epoch, at most `MAX_MS` (2100-01-01).

The window is clamped rather than refused where Bitget's rules make the answer obvious, and the clamping is
reported (`Window.clamped`, `Window.note`):
- an `end_ms` in the future becomes now (it never shifts `start_ms`: a missing start is counted back from the
  clamped end);
- a `start_ms` older than Bitget's 90-day order-history retention becomes the retention edge (now - 90 days).
A window that cannot return an order is refused: one that ends at or before the retention edge, one that starts
in the future, or one whose start is not before its end.

Symbols are upper-cased, stripped and deduplicated (first occurrence wins). Bitget v1 symbols with a product
suffix (`BTCUSDT_UMCBL`, `BTCUSDT_SPBL`, ...) are normalised to the v2 symbol (`BTCUSDT`): v2 has no suffixes,
and the worker queries every market for the symbol anyway. Any other underscore is rejected (the rules:
common/symbols.py). A list longer than
MAX_SYMBOLS + 1000 entries is refused before any entry is normalised (a million symbols cost nothing to refuse),
and messages quote at most a short prefix of what was sent (`quote`).

Options (`include_plan_orders`, `include_simulation`, `include_fills`) are JSON booleans or null/absent (the
service default; for `include_fills`: on for the whole account, off for a symbol list).

`symbols` omitted (or the string "all") asks for the whole account (common/account_scope.py), optionally
`"since": "last_sync"` (each stream from where the last complete sync left it, common/sync_state.py) and
`spot_plan_symbols` (spot plan candidates beyond the ones the account's orders show).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lambda_functions.common.symbols import REQUEST_SYMBOL_RULE, is_request_symbol, without_v1_suffix
from lambda_functions.common.timewindow import DAY_MS, RETENTION_DAYS, RETENTION_MS

if TYPE_CHECKING:  # events.py builds requests and raises RequestError: a runtime import would be a cycle
    from lambda_functions.coordinator.events import StartRequest

DEFAULT_WINDOW_DAYS = 90
DEFAULT_MAX_SYMBOLS = 500
MAX_SYMBOLS_CEILING = 10_000  # the largest MAX_SYMBOLS a deployment may set
SYMBOLS_SLACK = 1000  # entries read past MAX_SYMBOLS (duplicates collapse) before a list is refused unread
QUOTE_CHARS = 40  # of a string quoted in a message
MAX_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z: beyond any real order, and far inside a 64-bit column
OPTION_NAMES = ("include_plan_orders", "include_simulation", "include_fills")

__all__ = [
    "DAY_MS",
    "DEFAULT_MAX_SYMBOLS",
    "DEFAULT_WINDOW_DAYS",
    "MAX_MS",
    "RETENTION_DAYS",
    "ExtractionRequest",
    "RequestError",
    "Window",
    "parse_request",
    "resolve_window",
]


class RequestError(ValueError):
    """The request is invalid; the message says what is wrong (HTTP 400)."""


@dataclass(frozen=True)
class Window:
    """The window an execution uses, what was asked for (None: not given), and whether it was clamped."""

    start_ms: int
    end_ms: int
    requested_start_ms: int | None = None
    requested_end_ms: int | None = None
    note: str | None = None  # one sentence per clamped bound; None when nothing was clamped

    @property
    def clamped(self) -> bool:
        return self.note is not None


@dataclass(frozen=True)
class ExtractionRequest:
    symbols: list[str]  # empty for an account-wide request
    window: Window
    include_plan_orders: bool | None = None  # None: the service default
    include_simulation: bool | None = None
    include_fills: bool | None = None
    # Account-wide (`symbols` omitted or "all"): the account's streams without a symbol list.
    account_wide: bool = False
    since_last_sync: bool = False  # `"since": "last_sync"`: each stream from where the last sync left it
    spot_plan_symbols: list[str] = field(default_factory=list)  # spot plan candidates the user names

    @property
    def start_ms(self) -> int:
        return self.window.start_ms

    @property
    def end_ms(self) -> int:
        return self.window.end_ms


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """`repr(value)` for a message, cut short: a 10 MB symbol must not make a 10 MB error."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    if isinstance(value, list | tuple | dict) and len(value) > 3:
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 2 * limit else f"{text[: 2 * limit]}..."


def normalise_symbol(raw: Any) -> str:
    """`" btcusdt_umcbl "` -> `"BTCUSDT"`; raises RequestError for anything that is not a symbol."""
    if not isinstance(raw, str):
        raise RequestError(f"every symbol must be a string, got {type(raw).__name__}: {quote(raw)}")
    symbol = without_v1_suffix(raw.strip().upper())
    if not is_request_symbol(symbol):
        raise RequestError(f"invalid symbol {quote(raw)}: {REQUEST_SYMBOL_RULE}")
    return symbol


def parse_symbols(raw: Any, max_symbols: int) -> list[str]:
    if raw is None:
        raise RequestError("'symbols' is required: a non-empty list like [\"BTCUSDT\"]")
    if not isinstance(raw, list):
        raise RequestError(f"'symbols' must be a list of strings, got {type(raw).__name__}")
    check_symbol_count(len(raw), max_symbols + SYMBOLS_SLACK, max_symbols)
    symbols = list(dict.fromkeys(normalise_symbol(item) for item in raw))
    if not symbols:
        raise RequestError("'symbols' is empty: give at least one symbol, like [\"BTCUSDT\"]")
    if len(symbols) > max_symbols:
        raise RequestError(
            f"too many symbols: {len(symbols)} (at most {max_symbols} per request, MAX_SYMBOLS)"
        )
    return symbols


def check_symbol_count(entries: int, most_entries: int, max_symbols: int) -> None:
    """Refuses a list too long to read: more than `most_entries` entries (MAX_SYMBOLS plus some slack for
    duplicates), before any entry is normalised."""
    if entries > most_entries:
        raise RequestError(
            f"too many symbols: {entries} given (at most {max_symbols} per request, MAX_SYMBOLS)"
        )


def parse_millis(name: str, raw: Any) -> int | None:
    """An optional epoch-milliseconds integer (bool and fractional numbers are rejected)."""
    if raw is None:
        return None
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float)
        or (isinstance(raw, float) and not raw.is_integer())
    ):
        raise RequestError(
            f"'{name}' must be an integer number of milliseconds since the epoch, got {quote(raw)}"
        )
    if raw < 0:
        raise RequestError(f"'{name}' must not be negative, got {quote(raw)}")
    if raw > MAX_MS:
        raise RequestError(f"'{name}' must be at most {MAX_MS} (2100-01-01T00:00:00Z), got {quote(raw)}")
    return int(raw)


def parse_option(name: str, raw: Any) -> bool | None:
    """An optional boolean: JSON true/false, or null/absent for the service default."""
    if raw is None or isinstance(raw, bool):
        return raw
    raise RequestError(f"'{name}' must be true, false or null (the service default), got {quote(raw)}")


def resolve_window(raw_start: Any, raw_end: Any, now_ms: int, window_days: int) -> Window:
    """The window to extract: defaults filled in (end = now, start = end - window_days), then clamped to
    [now - 90 days, now]; RequestError when no order could be returned."""
    requested_start, requested_end = parse_millis("start_ms", raw_start), parse_millis("end_ms", raw_end)
    if requested_start is not None and requested_end is not None and requested_start >= requested_end:
        raise RequestError(f"'start_ms' ({requested_start}) must be before 'end_ms' ({requested_end})")
    if requested_start is not None and requested_start >= now_ms:
        raise RequestError(
            f"'start_ms' ({requested_start}) is in the future (now is {now_ms}): no order can exist there"
        )
    edge = now_ms - RETENTION_MS
    notes = []
    end = now_ms if requested_end is None else requested_end
    if end > now_ms:
        notes.append(f"end_ms {end} is in the future: clamped to now ({now_ms})")
        end = now_ms
    if end <= edge:
        raise RequestError(
            f"'end_ms' ({end}) is older than Bitget's {RETENTION_DAYS}-day order-history retention: "
            f"the window must end after {edge} (now - {RETENTION_DAYS} days), or no order can be returned"
        )
    start = end - window_days * DAY_MS if requested_start is None else requested_start
    if start < edge:
        given = "start_ms" if requested_start is not None else f"the default start (end - {window_days} days)"
        notes.append(
            f"{given} {start} is older than Bitget's {RETENTION_DAYS}-day retention: "
            f"clamped to the retention edge ({edge})"
        )
        start = edge
    note = "; ".join(notes) + "." if notes else None
    return Window(start, end, requested_start, requested_end, note)


def parse_request(
    request: StartRequest,
    now_ms: int,
    max_symbols: int = DEFAULT_MAX_SYMBOLS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> ExtractionRequest:
    """The validated request (every field checked: a direct invoke may send anything)."""
    raw_symbols: Any = request.symbols
    account_wide = raw_symbols is None or (
        isinstance(raw_symbols, str) and raw_symbols.strip().lower() == "all"
    )
    symbols = [] if account_wide else parse_symbols(raw_symbols, max_symbols)
    since = parse_since(request.since)
    if since and not account_wide:
        raise RequestError(
            "'since': 'last_sync' syncs the whole account: omit 'symbols' (or send \"all\") to use it"
        )
    if since and request.start_ms is not None:
        raise RequestError(
            "'since': 'last_sync' sets where each stream starts: do not send 'start_ms' with it"
        )
    plan_symbols = request.spot_plan_symbols
    if plan_symbols is not None and not account_wide:
        raise RequestError("'spot_plan_symbols' is for account-wide requests; list the symbols in 'symbols'")
    window = resolve_window(request.start_ms, request.end_ms, now_ms, window_days)
    return ExtractionRequest(
        symbols,
        window,
        include_plan_orders=parse_option("include_plan_orders", request.include_plan_orders),
        include_simulation=parse_option("include_simulation", request.include_simulation),
        include_fills=parse_option("include_fills", request.include_fills),
        account_wide=account_wide,
        since_last_sync=since,
        spot_plan_symbols=[] if plan_symbols is None else parse_symbols(plan_symbols, max_symbols),
    )


def parse_since(raw: Any) -> bool:
    """`"since"`: absent/null, or "last_sync" (an incremental sync); anything else is refused."""
    if raw is None:
        return False
    if raw == "last_sync":
        return True
    raise RequestError(f"'since' must be \"last_sync\" or absent, got {quote(raw)}")
