"""Bitget's transient error codes, named once: the client retries them and the worker reports them.

429 is the rate limit (also sent as HTTP 429). The busy codes are the ones Bitget documents as transient
(40015, 45001, 40725, 40808: the release window, DOC-FAQ Q14): sending the request again later can succeed.
"""

from __future__ import annotations

RATE_LIMIT_CODE = "429"
BUSY_CODES = frozenset({"40015", "45001", "40725", "40808"})
RETRYABLE_CODES = frozenset({RATE_LIMIT_CODE} | BUSY_CODES)
