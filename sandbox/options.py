"""Account- and wire-level options: the server clock's offset, the account mode, a refused key, and the
optional live envelope forms. Set in a profile, as SandboxServer arguments or CLI flags (docs/sandbox.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

ACCOUNT_MODES = ("classic", "unified")
DENIALS = ("permission", "ip")


@dataclass(frozen=True)
class ServerOptions:
    clock_offset_ms: int = 0  # server clock = local clock + offset
    account_mode: str = "classic"  # "unified": v2 classic private endpoints answer 40085
    deny: str | None = None  # "permission": 40014, "ip": 40018 on every signed endpoint
    envelope_message_key: bool = False  # spot history-orders success envelopes say "message", not "msg"
    empty_spot_history_null: bool = False  # an empty spot history-orders page is `data: null`, not []

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


OPTION_KEYS = tuple(item.name for item in fields(ServerOptions))


def parse_options(raw: Mapping[str, Any], base: ServerOptions | None = None) -> ServerOptions:
    """`base` (default: all defaults) with the options in `raw` applied; ValueError names a bad one."""
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in OPTION_KEYS:
            raise ValueError(f"unknown option {name!r} (known: {', '.join(OPTION_KEYS)})")
        values[name] = _checked(name, value)
    return replace(base or ServerOptions(), **values)


def _checked(name: str, value: Any) -> Any:
    if name == "clock_offset_ms":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("option 'clock_offset_ms' must be an integer (ms)")
    elif name == "account_mode":
        if value not in ACCOUNT_MODES:
            raise ValueError(f"option 'account_mode' must be one of {', '.join(ACCOUNT_MODES)}")
    elif name == "deny":
        if value is not None and value not in DENIALS:
            raise ValueError(f"option 'deny' must be null or one of {', '.join(DENIALS)}")
    elif not isinstance(value, bool):
        raise ValueError(f"option {name!r} must be true or false")
    return value
