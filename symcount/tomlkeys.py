"""Where each key of a TOML text is, so that errors can name their line.

``tomllib`` returns plain dicts without positions. :func:`key_lines` follows the
text's structure (tables, arrays of tables, dotted and quoted keys, inline
tables, arrays, strings and comments) to map every key to its line, and
:func:`dotted` writes a key the way the file does: ``layers.encoder.kind``,
``edges[2].from``, ``layers."soft max"``.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from typing import Any

__all__ = ["BARE_KEY", "Key", "dotted", "key_lines"]

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
"""The characters of a TOML bare key."""

Key = tuple[str | int, ...]
"""A key as a path: table names, key names and array indices."""


def dotted(key: Key) -> str:
    """Writes a key as in the file: ``layers.encoder.kind``, ``edges[2].from``.

    Example:
        >>> from symcount.tomlkeys import dotted
        >>> dotted(("edges", 2, "from")), dotted(("layers", "soft max"))
        ('edges[2].from', 'layers."soft max"')
    """
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            segment = part if BARE_KEY.fullmatch(part) else json.dumps(part)
            out += ("." if out else "") + segment
    return out


class _ScanError(Exception):
    """The scanner met text it does not follow; it keeps what it found."""


_BARE_SCALAR = re.compile(r"[^,\]}#\n]*")
_MAX_SCAN_DEPTH = 64


class _Scanner:
    """Finds the line of every key in a TOML text, to point errors at it.

    It follows TOML's structure (tables, arrays of tables, dotted and quoted
    keys, inline tables, arrays, strings and comments) without an explicit
    grammar of values, since ``tomllib`` has already read the text; it works
    with a stack, not recursion, so deep nesting cannot exhaust Python's stack.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.lines: dict[Key, int] = {}
        self.at_line: dict[int, Key] = {}
        self.arrays: dict[Key, int] = {}

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def record(self, key: Key, pos: int) -> None:
        line = self.line(pos)
        for end in range(len(key), 0, -1):
            if key[:end] in self.lines:
                break  # and so are all shorter prefixes
            self.lines[key[:end]] = line
        self.at_line.setdefault(line, key)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def skip(self, *, newlines: bool = False) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _ScanError(token)
        self.pos += len(token)

    def scan(self) -> None:
        prefix: Key = ()
        while True:
            self.skip(newlines=True)
            start = self.pos
            if start >= len(self.text):
                return
            if self.text.startswith("[[", start):
                self.pos += 2
                path = self.resolve(self.key())
                self.skip()
                self.expect("]]")
                index = self.arrays.get(path, 0)
                self.arrays[path] = index + 1
                prefix = (*path, index)
                self.record(prefix, start)
            elif self.peek() == "[":
                self.pos += 1
                prefix = self.resolve(self.key())
                self.skip()
                self.expect("]")
                self.record(prefix, start)
            else:
                key = (*prefix, *self.key())
                self.skip()
                self.expect("=")
                self.record(key, start)
                self.value(key)

    def resolve(self, parts: Key) -> Key:
        """A header's key, with the current index of each array of tables in it."""
        path: Key = ()
        for i, part in enumerate(parts):
            path = (*path, part)
            if i < len(parts) - 1 and path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        return path

    def key(self) -> Key:
        parts = []
        while True:
            self.skip()
            if self.peek() in ("'", '"'):
                start = self.pos
                self.string()
                # Decoding the quoted key exactly as TOML does: tomllib reads it.
                parts.append(
                    tomllib.loads("k = " + self.text[start : self.pos])["k"]
                )
            else:
                match = BARE_KEY.match(self.text, self.pos)
                if not match:
                    raise _ScanError("key")
                parts.append(match[0])
                self.pos = match.end()
            self.skip()
            if self.peek() != ".":
                return tuple(parts)
            self.pos += 1

    def value(self, key: Key) -> None:
        stack: list[list[Any]] = []
        target = key
        while True:
            self.skip(newlines=bool(stack))
            char = self.peek()
            if char in ("[", "{"):
                if len(stack) >= _MAX_SCAN_DEPTH:
                    raise _ScanError("deep")
                self.pos += 1
                stack.append([char, target, 0])
            elif char in ("'", '"'):
                self.string()
            else:
                match = _BARE_SCALAR.match(self.text, self.pos)
                if not match or match.end() == self.pos:
                    raise _ScanError("value")
                self.pos = match.end()
            while stack:
                self.skip(newlines=True)
                char = self.peek()
                if not char:
                    raise _ScanError("end")
                if char == ",":
                    self.pos += 1
                    continue
                if char in "]}":
                    self.pos += 1
                    stack.pop()
                    continue
                opener, where, count = stack[-1]
                if opener == "[":
                    target = (*where, count)
                    stack[-1][2] += 1
                    self.record(target, self.pos)
                else:
                    start = self.pos
                    target = (*where, *self.key())
                    self.skip()
                    self.expect("=")
                    self.record(target, start)
                break
            else:
                return

    def string(self) -> None:
        text, quote = self.text, self.text[self.pos]
        triple = text.startswith(quote * 3, self.pos)
        i = self.pos + (3 if triple else 1)
        close = quote * 3 if triple else quote
        while True:
            if i >= len(text) or (not triple and text[i] == "\n"):
                raise _ScanError("string")
            if quote == '"' and text[i] == "\\":
                i += 2
            elif text.startswith(close, i):
                break
            else:
                i += 1
        end = i + len(close)
        if triple:
            # Up to two quotes right before the closing ones belong to the text.
            for _ in range(2):
                if text.startswith(quote, end):
                    end += 1
        self.pos = end


def key_lines(text: str) -> tuple[dict[Key, int], dict[int, Key]]:
    """Maps each key to the line that defines it, and each line to its first key.

    Example:
        >>> from symcount.tomlkeys import key_lines
        >>> lines, _ = key_lines('[layers.a]\\nkind = "LSTM"\\n[[edges]]\\nfrom = "a"')
        >>> lines[("layers", "a", "kind")], lines[("edges", 0, "from")]
        (2, 4)
    """
    scanner = _Scanner(text)
    try:
        scanner.scan()
    except (_ScanError, tomllib.TOMLDecodeError, IndexError):
        pass  # Lines found so far stay; an error falls back to its parent's line.
    return scanner.lines, scanner.at_line
