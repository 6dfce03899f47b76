"""Durations in the human form the original system reports: `2.450s`, `1m 55.092s`, `1h 2m 3.000s`."""

from __future__ import annotations

import math


def format_duration(seconds: float) -> str:
    """Millisecond precision; minutes and hours appear only when the duration reaches them."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a finite number of seconds >= 0, got {seconds!r}")
    total_ms = round(seconds * 1000)
    hours, rest_ms = divmod(total_ms, 3_600_000)
    minutes, rest_ms = divmod(rest_ms, 60_000)
    secs = f"{rest_ms / 1000:.3f}s"
    if hours:
        return f"{hours}h {minutes}m {secs}"
    if minutes:
        return f"{minutes}m {secs}"
    return secs
