"""API credentials that never show their secrets in repr, str, logs or error text."""

from __future__ import annotations

from dataclasses import dataclass

REDACTED = "***"


@dataclass(frozen=True, repr=False)
class Credentials:
    """A Bitget API key, its secret and its passphrase. `repr`/`str` show only the key's first characters."""

    api_key: str
    api_secret: str
    passphrase: str

    def __repr__(self) -> str:
        shown = f"{self.api_key[:4]}{REDACTED}" if self.api_key else "''"
        return f"Credentials(api_key={shown}, api_secret={REDACTED}, passphrase={REDACTED})"

    __str__ = __repr__

    def redact(self, text: str) -> str:
        """`text` with every credential value replaced by `***` (for server messages and error text)."""
        # Longest first, so a value that contains another is replaced whole.
        for value in sorted((self.api_secret, self.passphrase, self.api_key), key=len, reverse=True):
            if len(value) >= 4:  # shorter values are too common to scrub meaningfully, and not real secrets
                text = text.replace(value, REDACTED)
        return text
