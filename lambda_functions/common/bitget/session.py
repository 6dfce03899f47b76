"""The pooled HTTP session every Bitget client sends through: connections kept per host, urllib3's retries off."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

POOL_SIZE = 16  # concurrent connections per host: worker threads share one client


def pooled_session(pool_maxsize: int = POOL_SIZE) -> requests.Session:
    """A session with `pool_maxsize` connections per host and urllib3's own retries off."""
    session = requests.Session()
    # Retries are ours (bounded, typed, logged): urllib3 must not retry behind our back.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
