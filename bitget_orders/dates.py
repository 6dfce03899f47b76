"""Dates as people type them, to the epoch milliseconds the API takes, and back for display.

Accepted: ISO-8601 dates (`2026-09-01`, midnight UTC at its start) and datetimes (`2026-09-01T12:30:00Z`,
`2026-09-01T12:30+02:00`, `2026-09-01 12:30`); a datetime without a zone is UTC. Or epoch milliseconds
(`1788165052020`). A 10-digit number is refused: it looks like epoch *seconds*, which would silently be 1970.
"""

from __future__ import annotations

import datetime as dt

# Before 1973-03-03 in milliseconds; any 10-digit epoch-seconds value is below it.
_MIN_EPOCH_MS = 10**11
_MAX_EPOCH_MS = 4_102_444_800_000  # 2100-01-01, the API's own bound
FORMS = "2026-09-01, 2026-09-01T12:30:00Z, 2026-09-01T12:30+02:00 or epoch milliseconds like 1788165052020"


class DateError(ValueError):
    """The text is not a date this CLI reads; the message shows the accepted forms."""


def parse_ms(text: str, option: str = "date") -> int:
    """Epoch milliseconds for `text` (see the module docstring); DateError names `option` and the forms."""
    value = text.strip()
    if value.isdigit() and len(value) != 8:  # 8 digits: ISO-8601's basic date, 20260901
        return _epoch_ms(int(value), text, option)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise DateError(f"{option} {text!r} is not a date: use {FORMS}") from None
    if parsed.tzinfo is None:  # naive = UTC, as the help says
        parsed = parsed.replace(tzinfo=dt.UTC)
    ms = int(parsed.timestamp() * 1000)
    if not 0 <= ms <= _MAX_EPOCH_MS:
        raise DateError(f"{option} {text!r} is outside 1970..2100")
    return ms


def _epoch_ms(number: int, text: str, option: str) -> int:
    if number < _MIN_EPOCH_MS:
        raise DateError(
            f"{option} {text!r} looks like epoch seconds or is too small: give epoch milliseconds "
            f"({number * 1000} if you meant seconds), or an ISO-8601 date"
        )
    if number > _MAX_EPOCH_MS:
        raise DateError(f"{option} {text!r} is after 2100-01-01: give epoch milliseconds")
    return number


def iso(ms: int | None) -> str:
    """`2026-09-01T12:30:00Z` (seconds; UTC) for epoch milliseconds; `-` for None."""
    if ms is None:
        return "-"
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_window(start_ms: int, end_ms: int) -> str:
    """`2026-08-31T08:30:52Z → 2026-11-29T08:30:52Z (90.0 days)`."""
    days = (end_ms - start_ms) / 86_400_000
    return f"{iso(start_ms)} → {iso(end_ms)} ({days:.1f} days)"


def duration(seconds: float | None) -> str:
    """`4.2s`, `3m 05s`, `1h 02m`: short human durations; `-` for None."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
