"""Secrets inside URLs, hidden before a URL reaches a log line, an answer (/info) or an error message.

Any URL setting may carry credentials in its userinfo (`http://user:password@proxy:8080`): the password is
replaced by `***`, as SQLAlchemy does for the database URL. A lone userinfo (`https://TOKEN@host`) is usually a
token, so it is hidden whole. Everything else (scheme, host, port, path) stays readable.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# scheme://userinfo@ anywhere in a text (userinfo: no slash, whitespace or second '@')
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")


def _masked_userinfo(userinfo: str) -> str:
    user, colon, _password = userinfo.partition(":")
    return f"{user}:{MASK}" if colon else MASK


def mask_url(url: str) -> str:
    """`url` with its userinfo masked (`http://u:pw@h` -> `http://u:***@h`); unchanged without userinfo."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not parseable as a URL: mask whatever looks like userinfo
        return mask_text(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{_masked_userinfo(userinfo)}@{hostport}"))


def mask_text(text: str) -> str:
    """Every `scheme://userinfo@` inside `text` masked (log lines, error messages that quote a URL)."""
    return _USERINFO_IN_TEXT.sub(lambda m: f"{m['scheme']}{_masked_userinfo(m['userinfo'])}@", text)


def mask_urls(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with every URL's userinfo masked."""
    if isinstance(value, str):
        return mask_text(value) if "@" in value else value
    if isinstance(value, dict):
        return {key: mask_urls(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_urls(item) for item in value]
    return value
