"""The UTC timestamp format every manifest, state file and result uses: ISO 8601 with milliseconds and "Z"
(`2026-09-01T00:00:00.000Z`)."""

from __future__ import annotations

import datetime as dt


def iso_ms(moment: dt.datetime) -> str:
    """`moment` in UTC as ISO 8601 with milliseconds and "Z"."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_ms_from_epoch(epoch_s: float) -> str:
    """A Unix time in seconds, in the same format."""
    return iso_ms(dt.datetime.fromtimestamp(epoch_s, dt.UTC))
