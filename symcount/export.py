"""Writing derivation files: a derivation or an imported network as TOML.

:func:`derivation_toml` writes any :class:`~symcount.derivation.Derivation`
(from the catalogue, a HuggingFace config or an imported module) in the
format :func:`~symcount.derivation.load_derivation` reads, so ``derive``,
``report``, ``solve`` and ``verify`` accept the file. Layers are written as
added to the network, before any size is inferred, with the fields that
differ from their defaults. Every expression is written in the safe parser's
grammar and read back before it is accepted.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from symcount.conventions import Convention
from symcount.derivation import Claim, Derivation, SymbolInfo
from symcount.errors import InputError
from symcount.expressions import parse_expression
from symcount.graph import Network

__all__ = [
    "derivation_toml",
    "expression_text",
    "imported_derivation",
    "write_derivation",
]


class _Printer(StrPrinter):
    """SymPy's string printer, with the function names the safe parser knows."""

    def _print_ceiling(self, expr: sympy.Expr) -> str:
        return f"ceil({self._print(expr.args[0])})"

    def _print_floor(self, expr: sympy.Expr) -> str:
        return f"floor({self._print(expr.args[0])})"

    def _print_Max(self, expr: sympy.Expr) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr: sympy.Expr) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Mod(self, expr: sympy.Expr) -> str:
        a, b = (self._print(x) for x in expr.args)
        return f"(({a}) % ({b}))"


def expression_text(expr: sympy.Expr) -> str:
    """Writes ``expr`` as text that :func:`parse_expression` reads back to it.

    Raises:
        InputError: If the expression has no such text (it is too long, or
            holds a function the parser does not accept).

    Example:
        >>> import sympy
        >>> from symcount.export import expression_text
        >>> from symcount.symbols import dimension
        >>> d = dimension("d_model")
        >>> expression_text(256 * sympy.ceiling(8 * d / 768))
        '256*ceil(d_model/96)'
    """
    expr = sympy.sympify(expr)
    text = _Printer({"order": "none"}).doprint(expr)
    symbols = {s.name: s for s in expr.free_symbols}
    try:
        back = parse_expression(text, symbols, where="export")
    except InputError as err:
        raise InputError(
            f"cannot write {expr} as a derivation expression: {err}"
        ) from None
    if sympy.simplify(back - expr) != 0:
        raise InputError(
            f"cannot write {expr} as a derivation expression; "
            f"{text!r} reads back as {back}"
        )
    return text


def imported_derivation(
    network: Network,
    *,
    title: str | None = None,
    source: str | None = None,
    built: int | None = None,
) -> Derivation:
    """Wraps an imported network (see :func:`symcount.torch_import.from_torch`).

    Args:
        network: The network; an ``ImportedNetwork`` brings its symbols'
            values and meanings.
        title: The derivation's title; by default names the source.
        source: Where the network came from, e.g. ``"models:build"``.
        built: The module's own parameter count, kept as a claim so that
            ``symcount check`` confirms the formula reproduces it.

    Returns:
        A derivation under the ``pytorch`` convention.

    Raises:
        InputError: If the network has no symbol: a derivation declares at
            least one (name a size with ``symbolize``).

    Example:
        >>> import torch
        >>> from symcount.export import imported_derivation
        >>> from symcount.torch_import import from_torch
        >>> net = from_torch(torch.nn.Linear(8, 4), symbolize={8: "d"})
        >>> [s.name for s in imported_derivation(net).symbols]
        ['d']
    """
    values: Mapping[sympy.Symbol, sympy.Expr] = getattr(network, "values", {})
    meanings: Mapping[str, str] = getattr(network, "meanings", {})
    if not values:
        raise InputError(
            f"network {network.name!r} has no symbols to declare; name "
            "a size, e.g. symbolize={768: 'd_model'} or --symbolize "
            "768=d_model"
        )
    origin = source or getattr(network, "source", "") or network.name
    symbols = tuple(
        SymbolInfo(str(s), s, meanings.get(str(s), f"{v} in the module"), v)
        for s, v in values.items()
    )
    claims: tuple[Claim, ...] = ()
    if built is not None:
        claims = (
            Claim(
                "module",
                "total",
                "sum(p.numel()) of the module's unique parameters",
                built,
                1,
            ),
        )
    opaque = getattr(network, "opaque", ())
    description = (
        f"Imported from the PyTorch module {origin} by symcount: a node "
        "per parameter-holding module, no edges (the module tree does "
        "not say how data flows)."
    )
    if opaque:
        description += (
            f" {len(opaque)} module(s) of unknown kinds are opaque "
            "nodes, tagged 'opaque'."
        )
    return Derivation(
        name=network.name,
        path=Path(f"{network.name}.toml"),
        title=title or f"{origin}, imported from PyTorch",
        citation={
            "authors": ["symcount export"],
            "year": datetime.date.today().year,
            "title": f"PyTorch module {origin}",
            "where": "the module's parameters, walked by symcount.torch_import",
        },
        convention=Convention.PYTORCH,
        symbols=symbols,
        network=network,
        claims=claims,
        description=description,
    )


def write_derivation(derivation: Derivation, path: str | Path) -> Path:
    """Writes ``derivation`` to ``path`` as a derivation file; returns the path.

    Example:
        >>> import tempfile
        >>> from symcount.derivation import load_derivation
        >>> from symcount.export import write_derivation
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = write_derivation(load_derivation("seq2seq"),
        ...                             f"{folder}/copy.toml")
        ...     load_derivation(path).title
        'Sequence to Sequence Learning with Neural Networks'
    """
    path = Path(path)
    text = derivation_toml(derivation)
    path.write_text(text, encoding="utf-8")
    return path


def derivation_toml(derivation: Derivation) -> str:
    """The derivation file of ``derivation``, as text.

    Raises:
        InputError: If a value cannot be written in the file's grammar.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.export import derivation_toml
        >>> print(derivation_toml(load_derivation("seq2seq")).splitlines()[2])
        title = "Sequence to Sequence Learning with Neural Networks"
    """
    return "\n".join(_lines(derivation)) + "\n"


def _lines(derivation: Derivation) -> Iterator[str]:
    network = derivation.network
    title = re.sub(
        r"[\x00-\x1f\x7f]+", " ", derivation.title
    )  # none in comments
    yield f"# Written by symcount export: {' '.join(title.split())}."
    yield ""
    yield f"title = {_string(derivation.title)}"
    yield f"name = {_string(derivation.name)}"
    yield f"convention = {_string(derivation.convention.value)}"
    if derivation.description:
        yield f"description = {_multiline(derivation.description)}"

    yield ""
    yield "[citation]"
    for key, value in derivation.citation.items():
        yield f"{key} = {_value(value)}"

    yield ""
    yield "[symbols]"
    for info in derivation.symbols:
        entry = {"meaning": _string(info.meaning)}
        if info.value is not None:
            entry["value"] = _expression(info.value)
        if info.approximate:
            entry["approximate"] = "true"
        inner = ", ".join(f"{k} = {v}" for k, v in entry.items())
        yield f"{_key(info.name)} = {{ {inner} }}"

    for node in network.G.nodes:
        yield ""
        yield f"[layers.{_key(node)}]"
        layer = network.G.nodes[node]["layer"]
        yield f"kind = {_string(layer.kind)}"
        for field in dataclasses.fields(layer):
            value = getattr(layer, field.name)
            if value is None or _is_default(field, value):
                continue
            yield f"{field.name} = {_value(value)}"
        if network.group(node) is not None:
            yield f"group = {_string(network.group(node))}"
        if network.tags(node):
            yield f"tags = {_value(list(network.tags(node)))}"

    for u, v, state in network.G.edges(data="state"):
        yield ""
        yield "[[edges]]"
        yield f"from = {_string(u)}"
        yield f"to = {_string(v)}"
        if state:
            yield "state = true"
    for tie in network.ties:
        yield ""
        yield "[[ties]]"
        yield f"tensor = {_string(tie.alias)}"
        yield f"to = {_string(tie.owner)}"
    for block in network.blocks:
        yield ""
        yield "[[repeats]]"
        yield f"name = {_string(block.name)}"
        yield f"nodes = {_value(list(block.nodes))}"
        yield f"times = {_expression(block.times)}"
    for claim in derivation.claims:
        yield ""
        yield "[[claims]]"
        yield f"name = {_string(claim.name)}"
        yield f"of = {_string(claim.of)}"
        if claim.quote:
            yield f"quote = {_string(claim.quote)}"
        yield f"value = {claim.value}"
        yield f"rounding = {claim.rounding}"
        if claim.convention is not None:
            yield f"convention = {_string(claim.convention.value)}"
        if claim.note is not None:
            yield f"note = {_string(claim.note)}"
    yield from _verify_lines(derivation.verify)


def _verify_lines(verify: Mapping[str, Any]) -> Iterator[str]:
    if not verify:
        return
    yield ""
    yield "[verify]"
    yield f"class = {_string(verify['class'])}"
    yield ""
    yield "[verify.config]"
    for option, value in verify["config"].items():
        if isinstance(value, str):  # text, such as an activation's name
            yield f"{_key(option)} = {{ text = {_string(value)} }}"
        else:
            yield f"{_key(option)} = {_value(value)}"
    if verify.get("parts"):
        yield ""
        yield "[verify.parts]"
        for node, patterns in verify["parts"].items():
            yield f"{_key(node)} = {_value(list(patterns))}"


def _is_default(field: dataclasses.Field, value: Any) -> bool:
    default = field.default
    if default is dataclasses.MISSING:
        return False
    if isinstance(value, tuple) and not isinstance(default, tuple):
        return all(v == default for v in value)
    return bool(value == default)


def _value(value: Any) -> str:
    """A TOML value: booleans, whole numbers, quoted expressions, arrays, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, sympy.Basic):
        return _expression(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise InputError(f"cannot write {value!r} in a derivation file")


def _expression(expr: sympy.Expr) -> str:
    expr = sympy.sympify(expr)
    if expr.is_Integer:
        return str(int(expr))
    return _string(expression_text(expr))


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL."""
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


def _multiline(text: str) -> str:
    lines = (_string(line)[1:-1] for line in text.split("\n"))
    return '"""\n' + "\n".join(lines) + '"""'


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _string(name)
