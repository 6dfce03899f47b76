"""bitget_orders/dates.py: what people type, to epoch milliseconds; and back."""

from __future__ import annotations

import pytest

from bitget_orders.dates import DateError, describe_window, duration, iso, parse_ms

SEP_1_2026_MS = 1_788_220_800_000  # 2026-09-01T00:00:00Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-01", SEP_1_2026_MS),  # a date: midnight UTC at its start
        ("20260901", SEP_1_2026_MS),  # ISO-8601's basic form
        ("2026-09-01T00:00:00Z", SEP_1_2026_MS),
        ("2026-09-01T02:00:00+02:00", SEP_1_2026_MS),  # an offset is honoured
        ("2026-09-01 00:00", SEP_1_2026_MS),  # no zone: UTC
        ("2026-09-01T00:00:00.250Z", SEP_1_2026_MS + 250),
        (str(SEP_1_2026_MS), SEP_1_2026_MS),  # epoch milliseconds as they are
        (f"  {SEP_1_2026_MS} ", SEP_1_2026_MS),
    ],
)
def test_accepted_forms(text: str, expected: int) -> None:
    assert parse_ms(text) == expected


def test_epoch_seconds_are_refused_with_the_milliseconds_to_give() -> None:
    with pytest.raises(DateError, match=r"--start '1788220800' looks like epoch seconds.*1788220800000"):
        parse_ms("1788220800", "--start")


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "01/09/2026", "", "2026-09-01T25:00"])
def test_other_text_is_refused_naming_the_option_and_the_forms(text: str) -> None:
    with pytest.raises(DateError, match=r"--end .* is not a date: use 2026-09-01, .*epoch milliseconds"):
        parse_ms(text, "--end")


def test_dates_beyond_2100_are_refused() -> None:
    with pytest.raises(DateError, match="after 2100"):
        parse_ms("99999999999999")
    with pytest.raises(DateError, match=r"outside 1970\.\.2100"):
        parse_ms("2200-01-01")


def test_display_forms() -> None:
    assert iso(SEP_1_2026_MS + 61_500) == "2026-09-01T00:01:01Z"
    assert iso(None) == "-"
    assert describe_window(SEP_1_2026_MS, SEP_1_2026_MS + 90 * 86_400_000) == (
        "2026-09-01T00:00:00Z → 2026-11-30T00:00:00Z (90.0 days)"
    )
    assert [duration(s) for s in (None, 4.24, 185, 3720)] == ["-", "4.2s", "3m 05s", "1h 02m"]
