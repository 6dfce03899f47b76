"""Time constants shared by every part: a day in milliseconds and Bitget's 90-day order-history retention.

Bitget keeps 90 days of order history and accepts at most 90 days between startTime and endTime
(BITGET_API.md §3).
"""

from __future__ import annotations

HOUR_MS = 60 * 60 * 1000
DAY_MS = 24 * HOUR_MS
RETENTION_DAYS = 90
RETENTION_MS = RETENTION_DAYS * DAY_MS
