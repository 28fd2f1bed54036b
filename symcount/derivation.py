"""Derivation files: one TOML file per paper, read as data and never executed.

A derivation names the paper (``title``, ``[citation]``), declares its dimension
symbols with meanings and the paper's values (``[symbols]``), lists its layers
(``[layers.NAME]`` with ``kind`` and torch.nn's argument names), the data flow
(``[[edges]]``), tied tensors (``[[ties]]``), repeated blocks (``[[repeats]]``)
the numbers the paper prints (``[[claims]]``) and, optionally, the
HuggingFace model that implements it (``[verify]``). Every expression string goes
through :func:`symcount.expressions.parse_expression`. Errors name the file, the
line and the key, and say what is accepted.
"""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from symcount.conventions import Convention
from symcount.errors import DerivationError, InputError, SymcountError
from symcount.expressions import count_rounding, parse_count, parse_expression
from symcount.graph import Network
from symcount.layers import KINDS
from symcount.symbols import dimension

__all__ = [
    "Claim",
    "Derivation",
    "SymbolInfo",
    "catalogue",
    "catalogue_dir",
    "load_derivation",
]

_TOP_KEYS = {
    "title": True, "citation": True, "symbols": True, "layers": True,
    "name": False, "description": False, "convention": False, "edges": False,
    "ties": False, "repeats": False, "claims": False, "notes": False,
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
_MAX_FILE_BYTES = 1_000_000


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
    approximate: bool = False


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
    verify: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def symbol_table(self) -> dict[str, sympy.Symbol]:
        """Declared symbols by name."""
        return {info.name: info.symbol for info in self.symbols}

    @property
    def values(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The paper's values of the symbols that have one."""
        return {s.symbol: s.value for s in self.symbols if s.value is not None}


def catalogue_dir() -> Path:
    """The folder of the bundled derivation files."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "derivations", here / "derivations"):
        if folder.is_dir():
            return folder
    raise SymcountError("the derivation catalogue is missing from this installation")


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
        raw = path.read_bytes()
    except OSError as err:
        raise DerivationError(f"cannot read the file ({err.strerror})",
                              path=str(path)) from None
    if len(raw) > _MAX_FILE_BYTES:
        raise DerivationError(f"file of {len(raw)} bytes refused; at most "
                              f"{_MAX_FILE_BYTES} are accepted", path=str(path))
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise DerivationError("not UTF-8 text", path=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        raise DerivationError(
            f"not valid TOML: {err}", path=str(path),
            line=int(match[1]) if match else None,
        ) from None
    return _Loader(path, text).load(data)


def _find(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or "/" in text or path.is_file():
        if not path.is_file():
            raise DerivationError("no such derivation file", path=text)
        return path
    candidate = catalogue_dir() / f"{text}.toml"
    if candidate.is_file():
        return candidate
    names = catalogue()
    near = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise DerivationError(
        f"unknown derivation {text!r}{hint}; catalogue: {', '.join(names)}; "
        "or give the path of a .toml file"
    )


class _Loader:
    """Validates one parsed derivation and builds its objects, keeping the path."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _key_lines(text)
        self.symbols: dict[str, sympy.Symbol] = {}

    def error(self, key: str, message: str) -> DerivationError:
        line = None
        probe = key
        while probe and line is None:
            line = self.lines.get(probe)
            probe = probe.rpartition(".")[0]
        return DerivationError(message, path=str(self.path), line=line, key=key)

    def table(self, value: object, key: str, allowed: set[str],
              required: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {_kind(value)}")
        for name in value:
            if name not in allowed:
                near = difflib.get_close_matches(name, sorted(allowed), n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise self.error(
                    f"{key}.{name}" if key else name,
                    f"unknown key{hint}; accepted: {', '.join(sorted(allowed))}",
                )
        for name in sorted(required - set(value)):
            raise self.error(key or name, f"missing required key {name!r}")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise self.error(key, f"expected text, got {_kind(value)}")
        return value

    def array(self, value: object, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(key, f"expected an array, got {_kind(value)}")
        return value

    def expression(self, value: object, key: str) -> sympy.Expr:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(key, f"expected a whole number or an expression in "
                                  f"quotes, got {_kind(value)}")
        if isinstance(value, int):
            return sympy.Integer(value)
        try:
            return parse_expression(value, self.symbols, where=key)
        except InputError as err:
            raise self.error(key, str(err).removeprefix(f"{key}: ")) from None

    def load(self, data: dict[str, Any]) -> Derivation:
        required = {k for k, needed in _TOP_KEYS.items() if needed}
        self.table(data, "", set(_TOP_KEYS), required)
        name = self.text(data.get("name", self.path.stem), "name")
        convention = self.convention(data.get("convention", "paper"), "convention")
        symbols = self.load_symbols(data["symbols"])
        network = Network(name)
        self.load_layers(network, data["layers"])
        self.load_edges(network, data.get("edges", []))
        self.load_ties(network, data.get("ties", []))
        self.load_repeats(network, data.get("repeats", []))
        claims = self.load_claims(data.get("claims", []))
        citation = self.table(data["citation"], "citation", _CITATION_KEYS,
                              {"authors", "year"})
        self.check_layers(network)
        verify = self.load_verify(network, data.get("verify", {}))
        return Derivation(
            name=name, path=self.path, title=self.text(data["title"], "title"),
            citation=citation, convention=convention, symbols=symbols,
            network=network, claims=claims,
            description=self.text(data.get("description", ""), "description").strip(),
            verify=verify,
        )

    def convention(self, value: object, key: str) -> Convention:
        try:
            return Convention.parse(self.text(value, key))
        except InputError as err:
            raise self.error(key, str(err)) from None

    def load_symbols(self, table: object) -> tuple[SymbolInfo, ...]:
        self.table(table, "symbols", set(table) if isinstance(table, dict) else set())
        if not table:
            raise self.error("symbols", "declare at least one symbol")
        for name in table:
            if not name.isidentifier() or not name.isascii() or keyword.iskeyword(
                name) or name in _RESERVED:
                raise self.error(f"symbols.{name}", "not a valid symbol name; use "
                                 "ASCII letters, digits and '_', not a Python keyword "
                                 "or ceil/floor/max/min")
            self.symbols[name] = dimension(name)
        infos = []
        for name, entry in table.items():
            key = f"symbols.{name}"
            entry = self.table(entry, key, _SYMBOL_KEYS, {"meaning"})
            value = None
            if "value" in entry:
                value = self.expression(entry["value"], f"{key}.value")
                if value.is_number and not (value.is_integer and value.is_positive):
                    raise self.error(f"{key}.value", f"{value} is not a positive "
                                     "integer; sizes are positive integers")
            meaning = self.text(entry["meaning"], f"{key}.meaning")
            approximate = entry.get("approximate", False)
            if not isinstance(approximate, bool):
                raise self.error(f"{key}.approximate", "expected true or false")
            infos.append(SymbolInfo(name, self.symbols[name], meaning, value,
                                    approximate))
        return tuple(infos)

    def load_layers(self, network: Network, table: object) -> None:
        if not isinstance(table, dict) or not table:
            raise self.error("layers", "expected a table of at least one layer")
        for node, entry in table.items():
            key = f"layers.{node}"
            if not isinstance(entry, dict) or "kind" not in entry:
                raise self.error(key, "expected a table with a 'kind'; kinds: "
                                 + ", ".join(KINDS))
            kind = KINDS.get(entry["kind"]) if isinstance(entry["kind"], str) else None
            if kind is None:
                raise self.error(f"{key}.kind", f"unknown layer kind "
                                 f"{entry['kind']!r}; accepted: {', '.join(KINDS)}")
            fields = {f.name: f for f in dataclasses.fields(kind)}
            self.table(entry, key, _NODE_KEYS | set(fields))
            arguments = {}
            for name, value in entry.items():
                if name in _NODE_KEYS:
                    continue
                if "bool" in str(fields[name].type):
                    if not isinstance(value, bool):
                        raise self.error(f"{key}.{name}", f"expected true or false, "
                                         f"got {_kind(value)}")
                    arguments[name] = value
                elif fields[name].type in ("str", "tuple[str, ...]"):
                    # Text fields (an Opaque layer's tensor names and module).
                    arguments[name] = (
                        self.text(value, f"{key}.{name}") if fields[name].type == "str"
                        else tuple(self.text(v, f"{key}.{name}[{i}]") for i, v in
                                   enumerate(self.array(value, f"{key}.{name}"))))
                elif str(fields[name].type).startswith("tuple[tuple["):
                    # Arrays of arrays of sizes (an Opaque layer's shapes).
                    arguments[name] = tuple(
                        tuple(self.expression(v, f"{key}.{name}[{i}][{j}]")
                              for j, v in enumerate(self.array(row,
                                                               f"{key}.{name}[{i}]")))
                        for i, row in enumerate(self.array(value, f"{key}.{name}")))
                elif "tuple" in str(fields[name].type) and isinstance(value, list):
                    arguments[name] = tuple(
                        self.expression(v, f"{key}.{name}[{i}]")
                        for i, v in enumerate(value))
                else:
                    arguments[name] = self.expression(value, f"{key}.{name}")
            group = entry.get("group")
            if group is not None:
                group = self.text(group, f"{key}.group")
            tags = [self.text(t, f"{key}.tags")
                    for t in self.array(entry.get("tags", []), f"{key}.tags")]
            try:
                layer = kind(**{f: arguments.get(f) for f in fields
                                if f in arguments or fields[f].default
                                is dataclasses.MISSING})
                network.add(node, layer, group=group, tags=tags)
            except (InputError, TypeError) as err:
                raise self.error(key, str(err)) from None

    def load_edges(self, network: Network, edges: object) -> None:
        for i, entry in enumerate(self.array(edges, "edges")):
            key = f"edges[{i}]"
            entry = self.table(entry, key, _EDGE_KEYS, {"from", "to"})
            state = entry.get("state", False)
            if not isinstance(state, bool):
                raise self.error(f"{key}.state", "expected true or false")
            try:
                network.connect(self.text(entry["from"], f"{key}.from"),
                                self.text(entry["to"], f"{key}.to"), state=state)
            except InputError as err:
                raise self.error(key, str(err)) from None

    def load_ties(self, network: Network, ties: object) -> None:
        for i, entry in enumerate(self.array(ties, "ties")):
            key = f"ties[{i}]"
            entry = self.table(entry, key, _TIE_KEYS, _TIE_KEYS)
            try:
                network.tie(self.text(entry["tensor"], f"{key}.tensor"),
                            self.text(entry["to"], f"{key}.to"))
            except InputError as err:
                raise self.error(key, str(err)) from None

    def load_repeats(self, network: Network, repeats: object) -> None:
        for i, entry in enumerate(self.array(repeats, "repeats")):
            key = f"repeats[{i}]"
            entry = self.table(entry, key, _REPEAT_KEYS, _REPEAT_KEYS)
            nodes = [self.text(v, f"{key}.nodes")
                     for v in self.array(entry["nodes"], f"{key}.nodes")]
            times = self.expression(entry["times"], f"{key}.times")
            try:
                network.repeat(nodes, times,
                               name=self.text(entry["name"], f"{key}.name"))
            except InputError as err:
                raise self.error(key, str(err)) from None

    def load_claims(self, claims: object) -> tuple[Claim, ...]:
        loaded = []
        for i, entry in enumerate(self.array(claims, "claims")):
            key = f"claims[{i}]"
            entry = self.table(entry, key, _CLAIM_KEYS, {"name", "value"})
            value = entry["value"]
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise self.error(f"{key}.value", "expected a count such as 384M")
            try:
                stated = parse_count(value, where=f"{key}.value")
                rounding = (parse_count(entry["rounding"], where=f"{key}.rounding")
                            if "rounding" in entry else
                            count_rounding(value))
            except InputError as err:
                raise self.error(f"{key}.value", str(err)) from None
            convention = entry.get("convention")
            note = entry.get("note")
            loaded.append(Claim(
                name=self.text(entry["name"], f"{key}.name"),
                of=self.text(entry.get("of", "total"), f"{key}.of"),
                quote=self.text(entry.get("quote", ""), f"{key}.quote"),
                value=stated,
                rounding=rounding,
                convention=None if convention is None
                else self.convention(convention, f"{key}.convention"),
                note=None if note is None else self.text(note, f"{key}.note"),
            ))
        return tuple(loaded)

    def load_verify(self, network: Network, table: object) -> dict[str, Any]:
        """Reads ``[verify]``: a HuggingFace class, its config and part names."""
        table = self.table(table, "verify", _VERIFY_KEYS)
        if not table:
            return {}
        if "class" not in table or "config" not in table:
            raise self.error("verify", "expected 'class' and 'config' together")
        name = self.text(table["class"], "verify.class")
        if not name.isidentifier():
            raise self.error("verify.class", f"{name!r} is not a class name, such "
                             "as 'GPT2LMHeadModel'")
        config = {}
        entries = self.table(table["config"], "verify.config",
                             set(table["config"]) if isinstance(
                                 table["config"], dict) else set())
        for option, value in entries.items():
            key = f"verify.config.{option}"
            if isinstance(value, bool):
                config[option] = value
            elif isinstance(value, dict) and set(value) == {"text"}:
                # Text passed to the config as it is, such as an activation.
                config[option] = self.text(value["text"], f"{key}.text")
            elif isinstance(value, list):
                config[option] = [self.expression(v, f"{key}[{i}]")
                                  for i, v in enumerate(value)]
            else:
                config[option] = self.expression(value, key)
        parts = {}
        entries = table.get("parts", {})
        for node, patterns in self.table(entries, "verify.parts", set(entries)
                                         if isinstance(entries, dict) else set()
                                         ).items():
            key = f"verify.parts.{node}"
            if node not in network.G:
                raise self.error(key, f"no node {node!r}; nodes: "
                                 + ", ".join(network.G.nodes))
            if isinstance(patterns, str):
                patterns = [patterns]
            parts[node] = tuple(self.text(p, key) for p in self.array(patterns, key))
        return {"class": name, "config": config, "parts": parts}

    def check_layers(self, network: Network) -> None:
        """Infers every input size now, so a mismatch is reported at load time."""
        try:
            network.layers()
        except InputError as err:
            raise self.error("edges", str(err)) from None


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text",
             list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _key_lines(text: str) -> dict[str, int]:
    """Maps dotted keys to the 1-based line that defines them (best effort)."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if match := re.match(r"\[\[\s*([\w.\-]+)\s*\]\]", stripped):
            name = match[1]
            prefix = f"{name}[{counts.get(name, 0)}]"
            counts[name] = counts.get(name, 0) + 1
            lines.setdefault(prefix, number)
        elif match := re.match(r"\[\s*([\w.\-]+)\s*\]", stripped):
            prefix = match[1]
            lines.setdefault(prefix, number)
        elif match := re.match(r"([\w\-]+(?:\s*\.\s*[\w\-]+)*)\s*=", stripped):
            key = re.sub(r"\s*\.\s*", ".", match[1])
            lines.setdefault(f"{prefix}.{key}" if prefix else key, number)
    return lines
