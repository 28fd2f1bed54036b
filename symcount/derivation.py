"""Derivation files: one TOML file per paper, read as data and never executed.

A derivation names the paper (``title``, ``[citation]``), declares its dimension
symbols with meanings and the paper's values (``[symbols]``), lists its layers
(``[layers.NAME]`` with ``kind`` and torch.nn's argument names), the data flow
(``[[edges]]``), tied tensors (``[[ties]]``), repeated blocks (``[[repeats]]``)
the numbers the paper prints (``[[claims]]``) and, optionally, the
HuggingFace model that implements it (``[verify]``). Every expression string
goes through :func:`symcount.expressions.parse_expression`.

The whole file is validated when it is loaded, before anything is counted:
keys, types, names, symbols, sizes under the paper's values, edges, cycles,
sizes along edges, ties under every convention, and what each claim needs.
Every error is one :class:`~symcount.errors.DerivationError` that reads
``file:line: key: what is wrong; what is accepted``.

Caveats:
    Sizes are checked with the paper's values; a size that is only symbolic
    (its symbols have no value) is checked when values are given, by
    :meth:`Derivation.check_values`.
"""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from symcount.conventions import Convention
from symcount.errors import (
    CycleError,
    DerivationError,
    InputError,
    ShapeMismatchError,
    SymcountError,
)
from symcount.expressions import (
    MAX_DEGREE,
    MAX_DIGITS,
    MAX_TERMS,
    count_rounding,
    parse_count,
    parse_expression,
)
from symcount.graph import Network
from symcount.layers import KINDS, Layer, Tensor
from symcount.layers.base import same_shape
from symcount.symbols import as_expr, dimension
from symcount.tomlkeys import BARE_KEY, Key, dotted, key_lines

__all__ = [
    "Claim",
    "Derivation",
    "Size",
    "SymbolInfo",
    "catalogue",
    "catalogue_dir",
    "load_derivation",
]

_TOP_KEYS = {
    "title": True,
    "citation": True,
    "symbols": True,
    "layers": True,
    "name": False,
    "description": False,
    "convention": False,
    "edges": False,
    "ties": False,
    "repeats": False,
    "claims": False,
    "notes": False,
    "verify": False,
}
_CITATION_KEYS = {"authors", "year", "title", "venue", "url", "where", "doi"}
_SYMBOL_KEYS = {"meaning", "value", "approximate"}
_NODE_KEYS = {"kind", "group", "tags"}
_EDGE_KEYS = {"from", "to", "state"}
_TIE_KEYS = {"tensor", "to"}
_REPEAT_KEYS = {"name", "nodes", "times"}
_CLAIM_KEYS = {"name", "of", "quote", "value", "rounding", "convention", "note"}
_VERIFY_KEYS = {"class", "config", "parts"}
_RESERVED = {"ceil", "floor", "max", "min"}
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DERIVATION_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*")
_MAX_FILE_BYTES = 1_000_000
_MAX_SYMBOLS = 200
_MAX_ENTRIES = 2000
_MAX_COUNT_DEGREE = 2 * MAX_DEGREE
_MAX_COUNT_TERMS = 20_000
_LARGEST = 10**MAX_DIGITS
_Scopes = dict[Convention, dict[str, set[sympy.Symbol]]]
_UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control and bidirectional-override characters: they can rewrite a terminal."""


@dataclass(frozen=True)
class SymbolInfo:
    """A declared dimension symbol, its meaning and the paper's value (if any).

    ``approximate`` marks a value the paper gives only roughly ("about 37000
    tokens"); reconciling a claim suspects such values first.
    """

    name: str
    symbol: sympy.Symbol
    meaning: str
    value: sympy.Expr | None
    line: int | None = dataclasses.field(default=None, compare=False)
    approximate: bool = False


@dataclass(frozen=True)
class Size:
    """A size a derivation states: its key, its line and its expression."""

    key: str
    line: int
    expr: sympy.Expr


@dataclass(frozen=True)
class Claim:
    """A number the paper prints about its own model.

    Attributes:
        name: A short label, e.g. ``"total"``.
        of: What it counts: ``total``, ``group:G``, ``tag:T`` or ``node:N``.
        quote: The paper's words.
        value: The printed number, e.g. 384000000 for "384M".
        rounding: The unit the paper rounds to, e.g. 1000000 for "384M".
        convention: The convention to check it under; ``None`` for the
            derivation's own.
        note: Why a claim that does not hold differs; ``None`` if it should hold.
    """

    name: str
    of: str
    quote: str
    value: int
    rounding: int
    convention: Convention | None = None
    note: str | None = None


@dataclass(frozen=True)
class Derivation:
    """A paper's network, symbols and claims, as loaded from a derivation file."""

    name: str
    path: Path
    title: str
    citation: Mapping[str, Any]
    convention: Convention
    symbols: tuple[SymbolInfo, ...]
    network: Network
    claims: tuple[Claim, ...]
    description: str = ""
    sizes: tuple[Size, ...] = ()
    verify: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def symbol_table(self) -> dict[str, sympy.Symbol]:
        """Declared symbols by name."""
        return {info.name: info.symbol for info in self.symbols}

    @property
    def values(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The paper's values of the symbols that have one."""
        return {s.symbol: s.value for s in self.symbols if s.value is not None}

    def check_values(
        self, overrides: Mapping[sympy.Symbol, sympy.Expr] | None = None
    ) -> dict[sympy.Symbol, sympy.Expr]:
        """Checks every value and size with the paper's values and ``overrides``.

        Args:
            overrides: Values replacing the paper's; a value may name symbols.

        Returns:
            Every value, resolved so that it names no symbol that has a value.

        Raises:
            DerivationError: If values refer to each other in a loop, or a value
                or a stated size is not a positive integer of at most
                ``MAX_DIGITS`` digits; the message names the key and its line.

        Example:
            >>> from symcount.derivation import load_derivation
            >>> from symcount.symbols import d
            >>> load_derivation("seq2seq").check_values({d: 512})[d]
            512
        """
        path = str(self.path)
        values = {**self.values, **(overrides or {})}
        lines = {info.symbol: info.line for info in self.symbols}

        def fail(symbol: sympy.Symbol, message: str) -> DerivationError:
            if overrides and symbol in overrides:
                return DerivationError(message, key=str(symbol))
            return DerivationError(
                message,
                path=path,
                line=lines.get(symbol),
                key=f"symbols.{symbol}.value",
            )

        resolved = _resolve(values, fail)
        for size in self.sizes:
            value = size.expr.xreplace(resolved)
            if value.is_number and not _is_size(value):
                given = ", ".join(
                    f"{s} = {resolved[s]}"
                    for s in sorted(size.expr.free_symbols, key=str)
                    if s in resolved
                )
                raise DerivationError(
                    f"{size.expr} is {_short(value)} when {given or 'evaluated'}; "
                    "sizes are "
                    f"positive integers of at most {MAX_DIGITS} digits",
                    path=path,
                    line=size.line,
                    key=size.key,
                )
        return resolved


def catalogue_dir() -> Path:
    """The folder of the bundled derivation files."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "derivations", here / "derivations"):
        if folder.is_dir():
            return folder
    raise SymcountError(
        "the derivation catalogue is missing from this installation"
    )


def catalogue() -> list[str]:
    """The names of the bundled derivations, sorted.

    Example:
        >>> from symcount.derivation import catalogue
        >>> "seq2seq" in catalogue()
        True
    """
    return sorted(p.stem for p in catalogue_dir().glob("*.toml"))


def load_derivation(name_or_path: str | Path) -> Derivation:
    """Loads a derivation by catalogue name (``"seq2seq"``) or by file path.

    The file is read as TOML and validated completely before it is returned.

    Raises:
        DerivationError: If the file is missing or malformed; the message names
            the file, line and key, and what is accepted.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> load_derivation("seq2seq").title
        'Sequence to Sequence Learning with Neural Networks'
    """
    path = _find(name_or_path)
    try:
        with path.open("rb") as file:
            raw = file.read(_MAX_FILE_BYTES + 1)
    except OSError as err:
        raise DerivationError(
            f"cannot read the file ({err.strerror}); give a "
            "readable .toml file",
            path=str(path),
        ) from None
    if len(raw) > _MAX_FILE_BYTES:
        raise DerivationError(
            f"file larger than {_MAX_FILE_BYTES} bytes refused; "
            "a derivation is a small text file",
            path=str(path),
        )
    text = _decode(raw, str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _toml_error(str(err), text, str(path)) from None
    except RecursionError:
        line = _deep_line(text)
        key = key_lines(text)[1].get(line)
        raise DerivationError(
            "arrays or tables nested too deeply; a derivation nests a few levels",
            path=str(path),
            line=line,
            key=dotted(key) if key else None,
        ) from None
    except ValueError as err:
        if "digits" not in str(err):
            raise DerivationError(
                f"not valid TOML: {_short(err)}; accepted: TOML 1.0",
                path=str(path),
            ) from None
        # tomllib turns a number of more than 4300 digits into a ValueError.
        line = _long_number_line(text)
        key = key_lines(text)[1].get(line)
        raise DerivationError(
            f"number of more than 4300 digits refused; numbers of at most "
            f"{MAX_DIGITS} digits are accepted",
            path=str(path),
            line=line,
            key=dotted(key) if key else None,
        ) from None
    try:
        return _Loader(path, text).load(data)
    except RecursionError:
        # Values that name values, each nested in the last, can nest deeply.
        raise DerivationError(
            "expressions nested too deeply once values are put in; "
            "a derivation nests a few levels",
            path=str(path),
        ) from None


def _find(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if _UNSAFE_CHARACTERS.search(text) or len(text) > 4096:
        raise DerivationError(
            f"{_short(text)!r} is not a derivation name or path; give a catalogue "
            "name such as seq2seq or the path of a .toml file"
        )
    path = Path(text)
    try:
        if path.suffix == ".toml" or "/" in text or path.is_file():
            if not path.is_file():
                raise DerivationError(
                    "no such derivation file; give the path of "
                    "an existing .toml file",
                    path=text,
                )
            return path
        candidate = catalogue_dir() / f"{text}.toml"
        if candidate.is_file():
            return candidate
    except OSError as err:
        raise DerivationError(
            f"cannot use this path ({err.strerror})", path=_short(text)
        ) from None
    names = catalogue()
    near = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise DerivationError(
        f"unknown derivation {_short(text)!r}{hint}; catalogue: {', '.join(names)}; "
        "or give the path of a .toml file"
    )


def _decode(raw: bytes, path: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DerivationError(
            f"byte 0x{raw[err.start]:02x} is not UTF-8; derivations are UTF-8 text",
            path=path,
            line=raw[: err.start].count(b"\n") + 1,
        ) from None
    return text.removeprefix("\ufeff")


def _toml_error(message: str, text: str, path: str) -> DerivationError:
    """Rewords a tomllib error as ``file:line: key: what; what is accepted``."""
    match = re.search(
        r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$", message
    )
    what = message[: match.start()] if match else message
    line = int(match[1]) if match and match[1] else text.count("\n") + 1
    if re.match(r"Cannot (declare|overwrite|mutate|redefine)|Duplicate", what):
        lines, at_line = key_lines(text)
        key = at_line.get(line)
        if key:
            first = lines.get(key)
            where = (
                f" (first at line {first})" if first and first != line else ""
            )
            if len(key) == 2 and key[0] == "layers":
                return DerivationError(
                    f"duplicate node name {key[1]!r}{where}; each [layers.NAME] "
                    "appears once, node names are unique",
                    path=path,
                    line=line,
                    key=dotted(key),
                )
            return DerivationError(
                f"declared twice{where}; each key and table appears once",
                path=path,
                line=line,
                key=dotted(key),
            )
    column = f" (column {match[2]})" if match and match[2] else ""
    if what in ("Illegal character '\\n'", "Unterminated string"):
        what = (
            "a string is not closed on its line (text over several lines goes "
        )
        what += 'in """triple quotes""")'
    return DerivationError(
        f"not valid TOML{column}: {what[:1].lower()}{what[1:]}; accepted: TOML 1.0 "
        "(https://toml.io), as in derivations/seq2seq.toml",
        path=path,
        line=line,
    )


def _deep_line(text: str) -> int:
    """The line where brackets first nest 100 deep (strings are not told apart)."""
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth += 1 if match[0] in "[{" else -1
        if depth > 100:
            return text.count("\n", 0, match.start()) + 1
    return 1


def _long_number_line(text: str) -> int:
    match = re.search(r"\d[\d_]{4000,}", text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _listing(names: Iterable[str], limit: int = 20) -> str:
    """Names joined by commas, at most ``limit`` of them, so an error stays short."""
    names = list(names)
    shown = ", ".join(names[:limit]) or "none"
    return shown + (
        f" and {len(names) - limit} more" if len(names) > limit else ""
    )


def _short(text: object) -> str:
    text = str(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_size(value: sympy.Expr) -> bool:
    return bool(value.is_Integer and 0 < value < _LARGEST)


def _resolve(
    values: Mapping[sympy.Symbol, sympy.Expr],
    fail: Callable[[sympy.Symbol, str], DerivationError],
) -> dict[sympy.Symbol, sympy.Expr]:
    """Puts values into values that name other symbols, within the size limits.

    ``fail(symbol, message)`` builds the error for ``symbol``.
    """
    resolved: dict[sympy.Symbol, sympy.Expr] = {}

    def visit(
        symbol: sympy.Symbol, trail: tuple[sympy.Symbol, ...]
    ) -> sympy.Expr:
        if symbol in resolved:
            return resolved[symbol]
        if symbol in trail:
            loop = trail[trail.index(symbol) :] + (symbol,)
            raise fail(
                loop[0],
                "values refer to each other in a loop: "
                + " -> ".join(map(str, loop))
                + "; a value may name other "
                "symbols, but not in a loop",
            )
        value = as_expr(values[symbol], f"value of {symbol}")
        inner = {
            s: visit(s, (*trail, symbol))
            for s in sorted(value.free_symbols, key=str)
            if s in values
        }
        value = value.xreplace(inner) if inner else value
        degree, terms = _measure(value)
        if degree > MAX_DEGREE or terms > MAX_TERMS:
            raise fail(
                symbol,
                f"{_short(values[symbol])} grows too large once the "
                f"other values are put in; at most degree {MAX_DEGREE} and "
                f"{MAX_TERMS} terms are accepted",
            )
        if value.is_number and not _is_size(value):
            raise fail(
                symbol,
                f"{_short(values[symbol])} gives {_short(value)}; "
                f"sizes are positive integers of at most {MAX_DIGITS} digits",
            )
        resolved[symbol] = value
        return value

    for symbol in values:
        visit(symbol, ())
    return resolved


def _measure(expr: sympy.Expr) -> tuple[int, int]:
    """Bounds the polynomial degree and the number of terms once expanded.

    Example:
        >>> from symcount.derivation import _measure
        >>> from symcount.symbols import d, n
        >>> _measure((d + n) ** 2 * d)
        (3, 4)
    """
    cap = 10**9
    if expr.is_Symbol:
        return 1, 1
    if expr.is_Number or not expr.args:
        return 0, 1
    parts = [_measure(arg) for arg in expr.args]
    if expr.is_Add:
        return max(p[0] for p in parts), min(sum(p[1] for p in parts), cap)
    if expr.is_Mul:
        degree, terms = 0, 1
        for d, t in parts:
            degree, terms = degree + d, min(terms * t, cap)
        return degree, terms
    if expr.is_Pow and expr.exp.is_Integer:
        power = abs(int(expr.exp))
        (d, t), _ = parts
        if t > 1 and power * t.bit_length() > cap.bit_length():
            return min(d * power, cap), cap
        return min(d * power, cap), t**power
    return max(p[0] for p in parts), min(sum(p[1] for p in parts), cap)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the number {_short(value)}"
    if isinstance(value, float):
        return f"the decimal number {_short(value)}"
    if isinstance(value, str):
        return "text"
    names = {list: "an array", dict: "a table"}
    return names.get(type(value), f"a {type(value).__name__}")


class _Loader:
    """Validates one parsed derivation and builds its objects, keeping the path."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines, _ = key_lines(text)
        self.symbols: dict[str, sympy.Symbol] = {}
        self.sizes: list[Size] = []

    # Reading single values.

    def line(self, key: Key) -> int:
        probe = tuple(key)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return 1

    def error(self, key: Key, message: str) -> DerivationError:
        return DerivationError(
            message,
            path=str(self.path),
            line=self.line(key),
            key=dotted(key) or None,
        )

    def table(
        self,
        value: object,
        key: Key,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> dict[str, Any]:
        allowed = sorted(allowed)
        if not isinstance(value, dict):
            raise self.error(
                key,
                f"expected a table, got {_kind(value)}; accepted "
                f"keys: {', '.join(allowed)}",
            )
        for name in value:
            if name not in allowed:
                near = difflib.get_close_matches(name, allowed, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise self.error(
                    (*key, name),
                    f"unknown key{hint}; accepted: {', '.join(allowed)}",
                )
        for name in sorted(set(required) - set(value)):
            owner = dotted(key) or "a derivation"
            raise self.error(
                (*key, name),
                f"missing; {owner} needs " + ", ".join(sorted(required)),
            )
        return value

    def entries(
        self, value: object, key: Key, *, table: bool = False, example: str = ""
    ) -> list[Any]:
        if table:
            if not isinstance(value, dict):
                raise self.error(
                    key,
                    f"expected a table, got {_kind(value)}; "
                    f"write [{dotted(key)}.NAME] tables",
                )
        elif not isinstance(value, list):
            hint = (
                f"e.g. {example}"
                if example
                else f"write [[{dotted(key)}]] tables"
            )
            raise self.error(
                key, f"expected an array, got {_kind(value)}; {hint}"
            )
        if len(value) > _MAX_ENTRIES:
            raise self.error(
                key,
                f"{len(value)} entries refused; at most "
                f"{_MAX_ENTRIES} are accepted",
            )
        return list(value)

    def text(self, value: object, key: Key, *, lines: bool = False) -> str:
        if not isinstance(value, str):
            raise self.error(
                key, f"expected text in quotes, got {_kind(value)}"
            )
        # Multi-line text keeps its line ends (CR LF too) and tabs; other text
        # is one line. No text holds other control characters.
        unsafe = [
            c
            for c in _UNSAFE_CHARACTERS.findall(value)
            if not (lines and c == "\r")
        ]
        unsafe += [] if lines else re.findall("[\n\t]", value)
        if unsafe:
            allowed = "newlines and tabs but no other" if lines else "no"
            raise self.error(
                key,
                f"character U+{ord(unsafe[0]):04X} refused; this "
                f"text holds {allowed} control characters",
            )
        return value

    def name(self, value: object, key: Key, what: str) -> str:
        """A node or derivation name: a TOML bare key, safe in keys and file names."""
        text = self.text(value, key)
        # A derivation's name may hold dots, as in "gpt3-2.7b"; a node's may not,
        # since "node.tensor" names a tensor.
        allowed = _DERIVATION_NAME if what == "derivation" else BARE_KEY
        if not allowed.fullmatch(text):
            marks = "'_', '-' and '.'" if what == "derivation" else "'_' and '-'"
            raise self.error(
                key,
                f"{_short(text)!r} is not a valid {what} name; "
                f"use letters, digits, {marks}",
            )
        return text

    def label(self, value: object, key: Key) -> str:
        """A group, tag or block name: one line of text."""
        text = self.text(value, key)
        if not text.strip():
            raise self.error(key, "empty; give a name")
        return text

    def boolean(self, value: object, key: Key) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_kind(value)}")
        return value

    def expression(self, value: object, key: Key) -> sympy.Expr:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(
                key,
                f"expected a whole number or an expression in "
                f'quotes such as "4*d", got {_kind(value)}',
            )
        if isinstance(value, int):
            if abs(value) >= _LARGEST:
                raise self.error(
                    key,
                    f"number of {len(str(abs(value)))} digits "
                    f"refused; at most {MAX_DIGITS} are accepted",
                )
            return sympy.Integer(value)
        where = dotted(key)
        try:
            return parse_expression(value, self.symbols, where=where)
        except InputError as err:
            raise self.error(key, str(err).removeprefix(f"{where}: ")) from None

    def size(self, value: object, key: Key) -> sympy.Expr:
        """An expression that must be a positive integer once values are put in."""
        expr = self.expression(value, key)
        if expr.is_number and not _is_size(expr):
            raise self.error(
                key,
                f"{_short(expr)} is not a positive integer; sizes "
                f"are positive integers of at most {MAX_DIGITS} digits "
                "or expressions of symbols",
            )
        self.sizes.append(Size(dotted(key), self.line(key), expr))
        return expr

    def argument(self, value: object, key: Key, kind: str) -> Any:
        """A layer argument by its field's type: a flag, text, sizes or a size.

        Text fields and arrays of arrays serve the ``Opaque`` kind, whose
        tensors are named and shaped in the file.
        """
        if "bool" in kind:
            return self.boolean(value, key)
        if kind == "str":
            return self.text(value, key)
        if kind == "tuple[str, ...]":
            items = self.entries(value, key, example='["weight", "bias"]')
            return tuple(self.text(v, (*key, i)) for i, v in enumerate(items))
        if kind.startswith("tuple[tuple["):
            rows = self.entries(value, key, example="[[4, 8], [4]]")
            return tuple(
                tuple(
                    self.size(v, (*key, i, j))
                    for j, v in enumerate(self.entries(row, (*key, i)))
                )
                for i, row in enumerate(rows)
            )
        if "tuple" in kind and isinstance(value, list):
            items = self.entries(value, key)
            return tuple(self.size(v, (*key, i)) for i, v in enumerate(items))
        return self.size(value, key)

    def convention(self, value: object, key: Key) -> Convention:
        text = self.text(value, key)
        try:
            return Convention.parse(text)
        except InputError:
            accepted = ", ".join(c.value for c in Convention)
            raise self.error(
                key,
                f"unknown convention {_short(text)!r}; accepted: {accepted}",
            ) from None

    def choice(
        self, value: str, key: Key, known: Iterable[str], what: str
    ) -> str:
        known = list(known)
        if value in known:
            return value
        near = difflib.get_close_matches(value, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise self.error(
            key,
            f"no {what} {_short(value)!r}{hint}; {what}s: " + _listing(known),
        )

    # The sections of the file, in order.

    def load(self, data: dict[str, Any]) -> Derivation:
        """Validates every section in file order, then builds the derivation."""
        # The paper: top-level keys, citation and symbols.
        required = [k for k, needed in _TOP_KEYS.items() if needed]
        self.table(data, (), _TOP_KEYS, required)
        title = self.text(data["title"], ("title",))
        name = (
            self.name(data["name"], ("name",), "derivation")
            if "name" in data
            else self.path.stem
        )
        description = self.text(
            data.get("description", ""), ("description",), lines=True
        )
        self.text(data.get("notes", ""), ("notes",), lines=True)
        convention = self.convention(
            data.get("convention", "paper"), ("convention",)
        )
        citation = self.load_citation(data["citation"])
        symbols = self.load_symbols(data["symbols"])

        # The network: layers, data flow, repeats, sizes along edges, ties.
        network = Network(name)
        self.load_layers(network, data["layers"])
        edges = self.load_edges(network, data.get("edges", []))
        repeats = self.load_repeats(network, data.get("repeats", []))
        self.check_shapes(network, edges, repeats)
        self.load_ties(network, data.get("ties", []))
        scopes = self.check_tensors(network)

        derivation = Derivation(
            name=name,
            path=self.path,
            title=title,
            citation=citation,
            convention=convention,
            symbols=symbols,
            network=network,
            claims=(),
            description=description.strip(),
            sizes=tuple(self.sizes),
        )
        # The numbers: every size with the paper's values, then each claim.
        resolved = derivation.check_values()
        claims = self.load_claims(
            network, data.get("claims", []), convention, scopes, resolved
        )
        verify = self.load_verify(network, data.get("verify", {}))
        return dataclasses.replace(derivation, claims=claims, verify=verify)

    def load_citation(self, value: object) -> dict[str, Any]:
        key = ("citation",)
        citation = self.table(value, key, _CITATION_KEYS, {"authors", "year"})
        authors = self.entries(
            citation["authors"],
            (*key, "authors"),
            example='["A. Author", "B. Author"]',
        )
        if not authors:
            raise self.error(
                (*key, "authors"), "empty; list at least one author"
            )
        for i, author in enumerate(authors):
            self.text(author, (*key, "authors", i))
        year = citation["year"]
        if (
            isinstance(year, bool)
            or not isinstance(year, int)
            or not (1000 <= year <= 9999)
        ):
            raise self.error(
                (*key, "year"),
                f"expected a four-digit year such as 2014, got {_kind(year)}",
            )
        for field in sorted(set(citation) - {"authors", "year"}):
            self.text(citation[field], (*key, field))
        return citation

    def load_symbols(self, value: object) -> tuple[SymbolInfo, ...]:
        key = ("symbols",)
        table = self.entries(value, key, table=True)
        if not table:
            raise self.error(
                key,
                "empty; declare at least one symbol, e.g. "
                'd = { meaning = "embedding size", value = 1000 }',
            )
        if len(table) > _MAX_SYMBOLS:
            raise self.error(
                key,
                f"{len(table)} symbols refused; at most "
                f"{_MAX_SYMBOLS} are accepted",
            )
        assert isinstance(value, dict)
        for name in value:
            if (
                not _SYMBOL.fullmatch(name)
                or keyword.iskeyword(name)
                or name in _RESERVED
            ):
                raise self.error(
                    (*key, name),
                    "not a valid symbol name; use ASCII "
                    "letters, digits and '_', starting with a letter, "
                    "not a Python keyword nor ceil, floor, max, min",
                )
            self.symbols[name] = dimension(name)
        infos = []
        for name, entry in value.items():
            where = (*key, name)
            if not isinstance(entry, dict):
                raise self.error(
                    where,
                    f"expected a table such as {{ meaning = "
                    f'"...", value = 1000 }}, got {_kind(entry)}',
                )
            self.table(entry, where, _SYMBOL_KEYS, {"meaning"})
            size = None
            if "value" in entry:
                size = self.expression(entry["value"], (*where, "value"))
                if size.is_number and not _is_size(size):
                    raise self.error(
                        (*where, "value"),
                        f"{_short(size)} is not a "
                        "positive integer; sizes are positive integers "
                        f"of at most {MAX_DIGITS} digits",
                    )
            meaning = self.text(entry["meaning"], (*where, "meaning"))
            approximate = self.boolean(
                entry.get("approximate", False), (*where, "approximate")
            )
            infos.append(
                SymbolInfo(
                    name,
                    self.symbols[name],
                    meaning,
                    size,
                    self.line((*where, "value")),
                    approximate,
                )
            )
        return tuple(infos)

    def load_layers(self, network: Network, value: object) -> None:
        key = ("layers",)
        table = self.entries(value, key, table=True)
        if not table:
            raise self.error(
                key, "empty; declare at least one [layers.NAME] table"
            )
        assert isinstance(value, dict)
        for node, entry in value.items():
            where = (*key, node)
            self.name(node, where, "node")
            if not isinstance(entry, dict):
                raise self.error(
                    where,
                    f"expected a table, got {_kind(entry)}; "
                    f"write [layers.{node}] with a kind",
                )
            if "kind" not in entry:
                raise self.error(
                    (*where, "kind"),
                    "missing; accepted kinds: " + ", ".join(KINDS),
                )
            kind_name = self.text(entry["kind"], (*where, "kind"))
            kind = KINDS.get(kind_name)
            if kind is None:
                folded = {k.lower(): k for k in KINDS}
                near = folded.get(kind_name.lower()) or next(
                    iter(
                        difflib.get_close_matches(kind_name, list(KINDS), n=1)
                    ),
                    None,
                )
                hint = f" (did you mean {near!r}?)" if near else ""
                raise self.error(
                    (*where, "kind"),
                    f"unknown layer kind "
                    f"{_short(kind_name)!r}{hint}; accepted: "
                    + ", ".join(KINDS),
                )
            fields = {f.name: f for f in dataclasses.fields(kind)}
            self.table(entry, where, _NODE_KEYS | set(fields))
            required = [
                f
                for f, spec in fields.items()
                if spec.default is dataclasses.MISSING
                and spec.default_factory is dataclasses.MISSING
                and f != kind.input_field
            ]
            for field in required:
                if field not in entry:
                    raise self.error(
                        (*where, field),
                        f"missing; {kind_name} needs " + ", ".join(required),
                    )
            arguments: dict[str, Any] = {}
            for field, spec in fields.items():
                if field in entry:
                    arguments[field] = self.argument(
                        entry[field], (*where, field), str(spec.type)
                    )
                elif field == kind.input_field:
                    arguments[field] = None
            group = entry.get("group")
            if group is not None:
                group = self.label(group, (*where, "group"))
            tags = [
                self.label(tag, (*where, "tags", i))
                for i, tag in enumerate(
                    self.entries(
                        entry.get("tags", []),
                        (*where, "tags"),
                        example='["recurrent"]',
                    )
                )
            ]
            try:
                layer = kind(**arguments)
            except (InputError, TypeError, ValueError) as err:
                message = str(err)
                field = re.match(rf"{re.escape(kind_name)}: (\w+)", message)
                target = (
                    (*where, field[1]) if field and field[1] in entry else where
                )
                raise self.error(
                    target, message.removeprefix(f"{kind_name}: ")
                ) from None
            network.add(node, layer, group=group, tags=tags)

    def node(self, value: object, key: Key, network: Network) -> str:
        return self.choice(self.text(value, key), key, network.G.nodes, "node")

    def load_edges(
        self, network: Network, value: object
    ) -> dict[tuple[str, str], Key]:
        seen: dict[tuple[str, str], Key] = {}
        for i, entry in enumerate(self.entries(value, ("edges",))):
            key = ("edges", i)
            self.table(entry, key, _EDGE_KEYS, {"from", "to"})
            u = self.node(entry["from"], (*key, "from"), network)
            v = self.node(entry["to"], (*key, "to"), network)
            state = self.boolean(entry.get("state", False), (*key, "state"))
            if (u, v) in seen:
                raise self.error(
                    key,
                    f"edge {u} -> {v} is declared twice (first at "
                    f"line {self.line(seen[u, v])}); one edge per pair",
                )
            try:
                network.connect(u, v, state=state)
            except CycleError as err:
                raise self.error(
                    key,
                    f"{err}; a network is acyclic, recurrence "
                    "lives inside a recurrent layer",
                ) from None
            seen[u, v] = key
        return seen

    def load_repeats(self, network: Network, value: object) -> dict[str, Key]:
        names: dict[str, Key] = {}
        for i, entry in enumerate(self.entries(value, ("repeats",))):
            key = ("repeats", i)
            self.table(entry, key, _REPEAT_KEYS, _REPEAT_KEYS)
            name = self.label(entry["name"], (*key, "name"))
            if name in names:
                raise self.error(
                    (*key, "name"),
                    f"block {name!r} is declared twice "
                    f"(first at line {self.line(names[name])}); block "
                    "names are unique",
                )
            nodes = [
                self.node(v, (*key, "nodes", j), network)
                for j, v in enumerate(
                    self.entries(
                        entry["nodes"],
                        (*key, "nodes"),
                        example='["block_attention", "block_mlp"]',
                    )
                )
            ]
            if not nodes:
                raise self.error(
                    (*key, "nodes"), "empty; list the nodes that repeat"
                )
            times = self.size(entry["times"], (*key, "times"))
            try:
                network.repeat(nodes, times, name=name)
            except InputError as err:
                raise self.error((*key, "nodes"), str(err)) from None
            names[name] = key
        return names

    def check_shapes(
        self,
        network: Network,
        edges: Mapping[tuple[str, str], Key],
        repeats: Mapping[str, Key],
    ) -> None:
        """Infers every input size now, so a mismatch names its edge."""
        try:
            network.layers()
        except ShapeMismatchError as err:
            key: Key = ("edges",)
            advice = ""
            if err.edge in edges:
                key = edges[err.edge]
                advice = (
                    "; a state edge joins layers of one hidden_size"
                    if network.G.edges[err.edge]["state"]
                    else "; state the size its input gives, or leave it out to "
                    "have it inferred"
                )
            elif err.node is not None:
                key = ("layers", err.node)
            elif err.block in repeats:
                key = repeats[err.block]
                advice = "; a repeated block gives the size it takes"
            message = str(err)
            raise self.error(
                key, message + ("" if ";" in message else advice)
            ) from None

    def load_ties(self, network: Network, value: object) -> None:
        owners: dict[str, str] = {}
        for i, entry in enumerate(self.entries(value, ("ties",))):
            key = ("ties", i)
            self.table(entry, key, _TIE_KEYS, _TIE_KEYS)
            refs = []
            for field in ("tensor", "to"):
                ref = self.text(entry[field], (*key, field))
                node, dot, tensor = ref.partition(".")
                if not dot or not tensor:
                    raise self.error(
                        (*key, field),
                        f"{_short(ref)!r} is not a tensor; "
                        "write 'node.tensor', e.g. 'softmax.weight'",
                    )
                self.choice(node, (*key, field), network.G.nodes, "node")
                refs.append(ref)
            alias, owner = refs
            if alias == owner:
                raise self.error(
                    key,
                    f"tensor {alias!r} is tied to itself; tie two "
                    "different tensors",
                )
            if alias in owners:
                raise self.error(
                    (*key, "tensor"),
                    f"tensor {alias!r} is already tied "
                    f"to {owners[alias]!r}; a tensor is tied once",
                )
            probe, trail = owner, [alias, owner]
            while probe in owners:
                probe = owners[probe]
                trail.append(probe)
                if probe == alias:
                    raise self.error(
                        key,
                        "ties form a loop: "
                        + " -> ".join(trail)
                        + "; each tied tensor needs an owner",
                    )
            owners[alias] = owner
            network.tie(alias, owner)

    def check_tensors(self, network: Network) -> _Scopes:
        """Lists every node's tensors under every convention; checks ties, size.

        Returns:
            For each convention, the symbols each node's own count names.
        """
        layers = network.layers()
        self.check_tie_names(network, layers)
        scopes: _Scopes = {}
        for convention in Convention:
            # Every tensor, by node and name, under this convention.
            tensors = {
                node: {
                    t.name: t for t in self.tensors_of(layer, node, convention)
                }
                for node, layer in layers.items()
            }

            # Ties: both tensors exist or neither does, and shapes agree.
            tied: dict[str, set[str]] = {node: set() for node in layers}
            for i, tie in enumerate(network.ties):
                alias, owner = (
                    _tensor(ref, tensors) for ref in (tie.alias, tie.owner)
                )
                if alias is None and owner is None:
                    continue
                if alias is None or owner is None:
                    missing = tie.alias if alias is None else tie.owner
                    raise self.error(
                        ("ties", i),
                        f"under the {convention.value} convention {missing!r} "
                        "does not exist but the other tensor does; tie tensors "
                        "that exist together",
                    )
                if not same_shape(alias.shape, owner.shape):
                    raise self.error(
                        ("ties", i),
                        f"tie {tie.alias} -> {tie.owner}: shapes "
                        f"{_shape(alias.shape)} and {_shape(owner.shape)} differ "
                        f"under the {convention.value} convention; tied tensors "
                        "have one shape",
                    )
                tied[tie.alias.partition(".")[0]].add(alias.name)

            # What each node owns: its size once multiplied out, its symbols.
            scopes[convention] = {}
            total = 0
            for node in layers:
                times = network.times(node)
                own = [
                    times * t.numel
                    for name, t in tensors[node].items()
                    if name not in tied[node]
                ]
                scopes[convention][node] = set().union(
                    *(expr.free_symbols for expr in own)
                )
                for expr in own:
                    degree, terms = _measure(expr)
                    total += terms
                    if degree > _MAX_COUNT_DEGREE or total > _MAX_COUNT_TERMS:
                        raise self.error(
                            ("layers", node),
                            "its parameter count is too large to multiply out; "
                            "a network's count has degree at most "
                            f"{_MAX_COUNT_DEGREE} and at most {_MAX_COUNT_TERMS} "
                            "terms",
                        )
        return scopes

    def check_tie_names(
        self, network: Network, layers: Mapping[str, Layer]
    ) -> None:
        """Each tied tensor exists under at least one convention."""
        for i, tie in enumerate(network.ties):
            for field, ref in (("tensor", tie.alias), ("to", tie.owner)):
                node, _, name = ref.partition(".")
                have = sorted(
                    {
                        t.name
                        for c in Convention
                        for t in self.tensors_of(layers[node], node, c)
                    }
                )
                if name not in have:
                    near = difflib.get_close_matches(name, have, n=1)
                    hint = f" (did you mean {near[0]!r}?)" if near else ""
                    raise self.error(
                        ("ties", i, field),
                        f"node {node!r} has no tensor {_short(name)!r}{hint}; "
                        f"it has {', '.join(have)}",
                    )

    def tensors_of(
        self, layer: Layer, node: str, convention: Convention
    ) -> tuple[Tensor, ...]:
        try:
            return layer.tensors(convention)
        except SymcountError as err:
            message = str(err).removeprefix(f"{layer.kind}: ")
            raise self.error(("layers", node), message) from None

    def load_claims(
        self,
        network: Network,
        value: object,
        convention: Convention,
        scopes: _Scopes,
        resolved: Mapping[sympy.Symbol, sympy.Expr],
    ) -> tuple[Claim, ...]:
        loaded: list[Claim] = []
        names: dict[str, Key] = {}
        for i, entry in enumerate(self.entries(value, ("claims",))):
            key = ("claims", i)
            self.table(entry, key, _CLAIM_KEYS, {"name", "value"})
            name = self.text(entry["name"], (*key, "name"))
            if name in names:
                raise self.error(
                    (*key, "name"),
                    f"claim {name!r} is declared twice "
                    f"(first at line {self.line(names[name])}); claim "
                    "names are unique",
                )
            names[name] = key
            stated = self.count(entry["value"], (*key, "value"))
            text = entry["value"]
            rounding = (
                self.count(entry["rounding"], (*key, "rounding"))
                if "rounding" in entry
                else count_rounding(text)
            )
            of = self.text(entry.get("of", "total"), (*key, "of"))
            nodes = self.scope(network, of, (*key, "of"))
            claim_convention = (
                self.convention(entry["convention"], (*key, "convention"))
                if "convention" in entry
                else None
            )
            under = claim_convention or convention
            needed = set().union(*(scopes[under][node] for node in nodes))
            missing = sorted(
                {
                    str(s)
                    for symbol in needed
                    for s in (
                        resolved[symbol].free_symbols
                        if symbol in resolved
                        else {symbol}
                    )
                }
            )
            if missing:
                raise self.error(
                    key,
                    f"the count of {of} needs a value for "
                    f"{', '.join(missing)}; give "
                    + ", ".join(f"symbols.{s}" for s in missing)
                    + " a value, or claim a part that does not use it",
                )
            note = entry.get("note")
            loaded.append(
                Claim(
                    name=name,
                    of=of,
                    quote=self.text(
                        entry.get("quote", ""), (*key, "quote"), lines=True
                    ),
                    value=stated,
                    rounding=rounding,
                    convention=claim_convention,
                    note=None
                    if note is None
                    else self.text(note, (*key, "note"), lines=True),
                )
            )
        return tuple(loaded)

    def load_verify(self, network: Network, value: object) -> dict[str, Any]:
        """Reads ``[verify]``: a HuggingFace class, its config and part names."""
        key = ("verify",)
        table = self.table(value, key, _VERIFY_KEYS)
        if not table:
            return {}
        if "class" not in table or "config" not in table:
            raise self.error(key, "expected 'class' and 'config' together")
        name = self.text(table["class"], (*key, "class"))
        if not name.isidentifier():
            raise self.error(
                (*key, "class"),
                f"{_short(name)!r} is not a class name, such as 'GPT2LMHeadModel'",
            )
        config: dict[str, Any] = {}
        self.entries(table["config"], (*key, "config"), table=True)
        for option, setting in table["config"].items():
            where = (*key, "config", option)
            if isinstance(setting, bool):
                config[option] = setting
            elif isinstance(setting, dict) and set(setting) == {"text"}:
                # Text passed to the config as it is, such as an activation.
                config[option] = self.text(setting["text"], (*where, "text"))
            elif isinstance(setting, list):
                config[option] = [
                    self.expression(item, (*where, i))
                    for i, item in enumerate(setting)
                ]
            else:
                config[option] = self.expression(setting, where)
        parts: dict[str, tuple[str, ...]] = {}
        parts_table = table.get("parts", {})
        self.entries(parts_table, (*key, "parts"), table=True)
        for node, patterns in parts_table.items():
            where = (*key, "parts", node)
            self.choice(node, where, network.G.nodes, "node")
            if isinstance(patterns, str):
                patterns = [patterns]
            parts[node] = tuple(
                self.text(p, (*where, i))
                for i, p in enumerate(self.entries(patterns, where))
            )
        return {"class": name, "config": config, "parts": parts}

    def count(self, value: object, key: Key) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(
                key,
                f'expected a count such as "384M" or 384000000, '
                f"got {_kind(value)}",
            )
        where = dotted(key)
        try:
            return parse_count(value, where=where)
        except InputError as err:
            raise self.error(key, str(err).removeprefix(f"{where}: ")) from None

    def scope(self, network: Network, of: str, key: Key) -> list[str]:
        """The nodes a claim's ``of`` names: all, a group's, a tag's or one."""
        kind, _, name = of.partition(":")
        groups = {network.group(v) for v in network.G.nodes} - {None}
        tags = {t for v in network.G.nodes for t in network.tags(v)}
        members = {
            "group": [v for v in network.G.nodes if network.group(v) == name],
            "tag": [v for v in network.G.nodes if name in network.tags(v)],
            "node": [name] if name in network.G.nodes else [],
        }
        if of == "total":
            return list(network.G.nodes)
        if members.get(kind):
            return members[kind]
        accepted = ["total"] + [f"group:{g}" for g in sorted(groups)]
        accepted += [f"tag:{t}" for t in sorted(tags)]
        accepted += [f"node:{v}" for v in network.G.nodes]
        near = difflib.get_close_matches(of, accepted, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise self.error(
            key,
            f"{_short(of)!r} names no part of the network{hint}; "
            f"accepted: {_listing(accepted)}",
        )


def _tensor(
    ref: str, tensors: Mapping[str, Mapping[str, Tensor]]
) -> Tensor | None:
    node, _, name = ref.partition(".")
    return tensors[node].get(name)


def _shape(shape: tuple[sympy.Expr, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"
