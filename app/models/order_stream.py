"""Stream the `orders` array of a consolidated document: each order as (dict, its exact JSON text).

Why not ijson: hydration is bound by Python-side work (unless a core is free, parsing does not overlap the
inserts), and the stdlib's C scanner (`JSONDecoder.raw_decode`, one call per order) measured ~20% faster than
ijson's `items`; it also
returns where the order ends, so the stored `raw` is the source text itself instead of a re-encoding
(faster, and every field exactly as Bitget sent it). Memory stays bounded: a block of the source plus the
order being decoded.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

BLOCK_BYTES = 1 << 20
_WHITESPACE = " \t\n\r"


class MalformedDocumentError(ValueError):
    """The consolidated document is not well-formed JSON (or not an object)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decode = json.JSONDecoder(parse_constant=_reject_constant).raw_decode


class _Cursor:
    """A window on the decoded text with a read position; refilled from the byte stream as needed."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text, self.pos, self.eof = "", 0, False

    def _refill(self) -> bool:
        """Append the next block; False at the end of the stream."""
        if self.eof:
            return False
        data = self._stream.read(BLOCK_BYTES)
        self.eof = not data
        if self.pos > 0:  # drop what was consumed, so the window never grows past one value
            self.text, self.pos = self.text[self.pos :], 0
        self.text += self._utf8.decode(data or b"", final=self.eof)
        return True

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end of the document), not consumed."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(text) or not self._refill():
                return text[pos] if pos < len(text) else ""

    def expect(self, allowed: str) -> str:
        char = self.peek()
        if not char or char not in allowed:
            where = f"found {char!r}" if char else "the document ended"
            raise MalformedDocumentError(f"malformed document: expected one of {allowed!r}, {where}")
        self.pos += 1
        return char

    def value(self) -> tuple[Any, str]:
        """The JSON value at the position and its exact text."""
        self.peek()
        while True:
            try:
                value, end = _decode(self.text, self.pos)
            except ValueError as exc:  # JSONDecodeError included: incomplete in this window, or malformed
                if self._refill():
                    continue
                raise MalformedDocumentError(f"malformed document: {exc}") from exc
            # A number ending exactly at the window's edge may continue in the next block.
            if end == len(self.text) and self._refill():
                continue
            raw, self.pos = self.text[self.pos : end], end
            return value, raw


def iter_orders(stream: IO[bytes]) -> Iterator[tuple[Any, str]]:
    """(order, its JSON text) for each element of the top-level `orders` array; the rest is checked, skipped."""
    cursor = _Cursor(stream)
    cursor.expect("{")
    if cursor.peek() == "}":
        cursor.pos += 1
    else:
        while True:
            key, _ = cursor.value()
            if not isinstance(key, str):
                raise MalformedDocumentError(f"malformed document: object key {key!r} is not a string")
            cursor.expect(":")
            if key == "orders" and cursor.peek() == "[":
                yield from _array_items(cursor)
            else:
                cursor.value()
            if cursor.expect(",}") == "}":
                break
    if cursor.peek():
        raise MalformedDocumentError("malformed document: data after the top-level object")


def _array_items(cursor: _Cursor) -> Iterator[tuple[Any, str]]:
    cursor.expect("[")
    if cursor.peek() == "]":
        cursor.pos += 1
        return
    while True:
        # Fast path (the hot loop of hydration): decode straight from the window while each element is
        # followed by a comma; anything else (the window's edge, `]`, an error) goes to the careful path.
        text, pos = cursor.text, cursor.pos
        last = len(text) - 1
        while True:
            try:
                value, end = _decode(text, pos)
            except ValueError:
                break
            if end >= last or text[end] != ",":
                break
            yield value, text[pos:end]
            pos = end + 1
            while pos <= last and text[pos] in _WHITESPACE:
                pos += 1
        cursor.pos = pos
        yield cursor.value()
        if cursor.expect(",]") == "]":
            return
