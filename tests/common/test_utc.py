"""The one UTC timestamp format: ISO 8601, milliseconds, "Z"."""

from __future__ import annotations

import datetime as dt

from lambda_functions.common.utc import iso_ms, iso_ms_from_epoch


def test_iso_ms_writes_utc_with_milliseconds_and_z() -> None:
    moment = dt.datetime(2026, 9, 1, 2, 0, 1, 123999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert iso_ms(moment) == "2026-09-01T00:00:01.123Z"  # converted to UTC, microseconds cut, not rounded
    assert iso_ms(dt.datetime(2026, 9, 1, tzinfo=dt.UTC)) == "2026-09-01T00:00:00.000Z"


def test_epoch_seconds_give_the_same_format() -> None:
    assert iso_ms_from_epoch(1_788_220_800.5) == "2026-09-01T00:00:00.500Z"
