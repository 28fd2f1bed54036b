"""Importing a PyTorch module: from an ``nn.Module`` tree to a symcount network.

:func:`from_torch` walks the module tree, on the meta device or real, and
makes a node of every parameter-holding module whose kind symcount knows: the
torch.nn layers the layer kinds mirror, and the parts HuggingFace models are
made of (GPT-2's ``Conv1D``, RMS norms, attention with ``q/k/v/o_proj``, gated
feed-forward blocks, mixtures of experts). A match is accepted only when the
layer's tensors, under the ``pytorch`` convention, have exactly the module's
parameter names and sizes; otherwise the walk goes down to the children.

Caveats:
    Parameters are never dropped: a module of an unknown kind keeps its own
    parameters as an :class:`~symcount.layers.Opaque` node (tagged
    ``opaque``), listed in ``ImportedNetwork.opaque`` and reported by an
    :class:`OpaqueModuleWarning`. A parameter object used in several places
    becomes a tie, counted once where torch lists it first. Identical
    children of an ``nn.ModuleList`` or ``nn.Sequential`` (none sharing a
    parameter) become one repeated block. The module tree does not say how
    data flows, so the network has no edges and every size is stated.
    Biases are explicit (``bias=`` from the module), so a count under any
    convention is the module's, except that a recurrent layer's biases follow
    the convention: torch's two vectors per layer under ``pytorch`` only.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from symcount.errors import InputError, SymcountError
from symcount.expressions import parse_expression
from symcount.graph import Network
from symcount.layers import (
    GRU,
    KINDS,
    LSTM,
    RNN,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Embedding,
    FeedForward,
    GatedFeedForward,
    GroupedQueryAttention,
    GroupNorm,
    Layer,
    LayerNorm,
    Linear,
    MixtureOfExperts,
    MultiheadAttention,
    Opaque,
    RMSNorm,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from symcount.symbols import dimension

__all__ = [
    "ImportedNetwork",
    "OpaqueModuleWarning",
    "call_factory",
    "from_torch",
]

REPEAT_KEY = "Repeat.times"
"""The ``symbolize`` key that names how often a repeated block repeats."""

_PYTORCH = "pytorch"


class OpaqueModuleWarning(UserWarning):
    """Modules of unknown kinds were kept as opaque nodes."""


class ImportedNetwork(Network):
    """A network imported from a module, with the values of its symbols.

    Attributes:
        values: Each symbol that ``symbolize`` introduced, at its number.
        meanings: Each symbol's name to where its number was found.
        opaque: Opaque nodes and the class of the module each comes from.
        source: What was imported, e.g. the module's class name.
    """

    def __init__(self, name: str = "network", *, source: str = "") -> None:
        super().__init__(name)
        self.values: dict[sympy.Symbol, sympy.Expr] = {}
        self.meanings: dict[str, str] = {}
        self.opaque: tuple[tuple[str, str], ...] = ()
        self.source = source

    def copy(self) -> ImportedNetwork:
        other = ImportedNetwork(self.name, source=self.source)
        base = super().copy()
        other.G, other.ties, other.blocks = base.G, base.ties, base.blocks
        other.values = dict(self.values)
        other.meanings = dict(self.meanings)
        other.opaque = self.opaque
        return other


def from_torch(
    module: Any,
    *,
    name: str | None = None,
    symbolize: Mapping[int | str, str] | str | None = None,
) -> ImportedNetwork:
    """Builds a symcount network from a ``torch.nn.Module`` tree.

    Args:
        module: The module; its parameters may live on the meta device.
        name: The network's name; the module's class name if ``None``.
        symbolize: Names for sizes, so the count is a formula. A key is a
            number (every size equal to it) or ``"Kind.field"`` such as
            ``"LSTM.hidden_size"`` (that field of every layer of that kind;
            it wins over a number), or ``"Repeat.times"`` for the repeat
            counts of blocks. A value is a new symbol's name, or an
            expression over the symbols other entries name, e.g.
            ``{768: "d_model", 3072: "4*d_model"}``; an expression must equal
            the number it replaces. ``"auto"`` names every size above 1 that
            occurs in two places or more after the argument it first fills
            (``embedding_dim``, ``hidden_size_2``, ...).

    Returns:
        An :class:`ImportedNetwork`; count it under the ``pytorch`` convention
        and substitute ``values`` to get ``sum(p.numel())`` of the module's
        unique parameters.

    Raises:
        SymcountError: If torch is not installed.
        InputError: If ``module`` is not a module, a parameter is not yet
            initialised, or a ``symbolize`` entry is malformed or names one
            symbol for two numbers.

    Warns:
        OpaqueModuleWarning: When a module of an unknown kind holds parameters.

    Example:
        >>> import torch
        >>> from symcount import count_parameters
        >>> from symcount.torch_import import from_torch
        >>> model = torch.nn.Sequential(torch.nn.Embedding(100, 16),
        ...                             torch.nn.LSTM(16, 32), torch.nn.Linear(32, 100))
        >>> net = from_torch(model, symbolize={100: "V", 16: "d", 32: "n"})
        >>> count = count_parameters(net, "pytorch")
        >>> count.closed_form
        V*(d + 1) + 4*n**2 + n*(V + 4*d + 8)
        >>> count.subs(net.values).value() == sum(p.numel() for p in model.parameters())
        True
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise InputError(
            f"from_torch: expected a torch.nn.Module, got "
            f"{type(module).__name__}"
        )

    # Walk the tree: a node per known module, opaque nodes for the rest.
    walker = _Walker(torch, module)
    found = walker.visit(module, "")
    if symbolize == "auto":
        rules = _Rules.parse(_automatic(found))
    elif isinstance(symbolize, str):
        raise InputError(
            f"symbolize={symbolize!r}: expected a mapping such as "
            "{768: 'd_model'}, or 'auto'"
        )
    else:
        rules = _Rules.parse(symbolize or {})

    # Name the nodes, name the sizes, and add both to the network.
    title = name or type(module).__name__
    network = ImportedNetwork(title, source=type(module).__name__)
    names = _node_names(found, name or type(module).__name__)
    blocks: dict[tuple[tuple[str, int], ...], list[str]] = {}
    opaque = []
    for item, node in zip(found, names, strict=True):
        layer = rules.apply(item.layer, node)
        group = (
            _sanitize(item.repeats[-1][0])
            if item.repeats
            else (
                _sanitize(item.path.split(".")[0]) if "." in item.path else None
            )
        )
        tags = ["opaque"] if item.opaque else []
        network.add(node, layer, group=group, tags=tags)
        if item.repeats:
            blocks.setdefault(item.repeats, []).append(node)
        if item.opaque:
            opaque.append((node, item.module))
    for repeats, nodes in blocks.items():
        times = sympy.Mul(*(rules.times(n, path) for path, n in repeats))
        network.repeat(nodes, times, name=_sanitize(repeats[-1][0]) or "blocks")

    # A parameter used in several places is one tensor, owned where torch
    # lists it first.
    where = {
        full: f"{node}.{tensor}"
        for item, node in zip(found, names, strict=True)
        for full, tensor in item.tensors.items()
    }
    for first, *rest in walker.shared():
        for alias in rest:
            network.tie(where[alias], where[first])

    network.values = rules.values()
    network.meanings = rules.meanings()
    network.opaque = tuple(opaque)
    if opaque:
        listed = ", ".join(f"{node} ({cls})" for node, cls in opaque[:8])
        more = f" and {len(opaque) - 8} more" if len(opaque) > 8 else ""
        warnings.warn(
            OpaqueModuleWarning(
                f"from_torch: {len(opaque)} module(s) of kinds symcount does not know "
                f"kept as opaque nodes, their tensors' shapes as constants: {listed}"
                f"{more}"
            ),
            stacklevel=2,
        )
    return network


def call_factory(spec: str, *, meta: bool = True) -> Any:
    """Imports ``package.module:factory`` and calls ``factory()``: runs your code.

    This imports a module and calls a function of it, so it runs whatever code
    they hold; give only your own. The current folder is searched first, as
    ``python -m`` does. With ``meta``, the call runs under
    ``torch.device("meta")``, so parameters take no memory.

    Args:
        spec: ``package.module:factory``; the factory takes no arguments and
            returns a ``torch.nn.Module`` (a class works too).
        meta: Whether to build on the meta device.

    Raises:
        InputError: If ``spec`` is malformed, the module cannot be imported,
            it has no such factory, or the result is not a module.
        SymcountError: If the factory raises; the message quotes its error.

    Example:
        >>> from symcount.torch_import import call_factory
        >>> call_factory("torch.nn:Identity")
        Identity()
    """
    torch = _torch()
    path, sep, attribute = spec.partition(":")
    dotted = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
    if (
        not sep
        or not re.fullmatch(dotted, path)
        or not re.fullmatch(dotted, attribute)
    ):
        raise InputError(
            f"--module {spec!r}: expected package.module:factory, "
            "e.g. mymodels:build"
        )
    folder = os.getcwd()
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        target: Any = importlib.import_module(path)
    except ImportError as err:
        raise InputError(
            f"--module {spec!r}: cannot import {path!r} ({err})"
        ) from None
    finally:
        if added:
            sys.path.remove(folder)
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise InputError(
                f"--module {spec!r}: {path!r} has no {attribute!r}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise InputError(f"--module {spec!r}: {attribute!r} is not callable")
    try:
        if meta:
            with torch.device("meta"):
                model = target()
        else:
            model = target()
    except Exception as err:
        raise SymcountError(
            f"--module {spec!r}: {attribute}() raised "
            f"{type(err).__name__}: {err}"
        ) from err
    if not isinstance(model, torch.nn.Module):
        raise InputError(
            f"--module {spec!r}: {attribute}() returned "
            f"{type(model).__name__}, not a torch.nn.Module"
        )
    return model


def _torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise SymcountError(
            "from_torch needs torch; install it with: pip install 'symcount[verify]'"
        ) from None


@dataclass(frozen=True)
class _Found:
    """One node-to-be: the module path it stands for and its numeric layer."""

    path: str
    layer: Layer
    module: str
    tensors: Mapping[str, str]
    opaque: bool = False
    repeats: tuple[tuple[str, int], ...] = ()

    def signature(self, prefix: str) -> tuple[Any, ...]:
        """Everything but the path's ``prefix``: equal for identical siblings."""
        inner = tuple(
            (path.removeprefix(prefix), n) for path, n in self.repeats
        )
        return (
            self.path.removeprefix(prefix),
            self.layer,
            self.module,
            self.opaque,
            tuple(self.tensors.values()),
            inner,
        )


class _Walker:
    """Walks a module tree once; knows which parameter objects are shared."""

    def __init__(self, torch: Any, root: Any) -> None:
        self.torch = torch
        self.places: dict[int, list[str]] = {}
        for full, parameter in root.named_parameters(remove_duplicate=False):
            if isinstance(parameter, torch.nn.parameter.UninitializedParameter):
                raise InputError(
                    f"from_torch: parameter {full!r} is not yet "
                    "initialised (a lazy module); run one forward "
                    "pass first"
                )
            self.places.setdefault(id(parameter), []).append(full)

    def shared(self) -> Iterator[list[str]]:
        """The names of each parameter used in several places, in torch's order."""
        return (names for names in self.places.values() if len(names) > 1)

    def has_shared(self, module: Any) -> bool:
        return any(len(self.places[id(p)]) > 1 for p in module.parameters())

    def visit(self, module: Any, path: str) -> list[_Found]:
        params = dict(module.named_parameters(remove_duplicate=False))
        if not params:
            return []
        cls = type(module).__name__

        # A module of a known kind whose tensors are exactly the layer's.
        for matcher in _MATCHERS:
            try:
                match = matcher(module, self.torch.nn)
            except (InputError, TypeError, ValueError, AttributeError):
                match = None
            if match is None:
                continue
            layer, fused = match if isinstance(match, tuple) else (match, None)
            if fused is not None and self.has_shared(module):
                continue
            if _same_tensors(layer, params, fused):
                tensors = (
                    {}
                    if fused
                    else {_join(path, local): local for local in params}
                )
                return [_Found(path, layer, cls, tensors)]

        # Otherwise its own parameters, kept opaque, then its children.
        found = []
        own = [
            (local, p)
            for local, p in module.named_parameters(
                recurse=False, remove_duplicate=False
            )
            if p.numel()
        ]
        if own:
            layer = Opaque(
                tuple(local for local, _ in own),
                tuple(tuple(p.shape) for _, p in own),
                cls,
            )
            tensors = {_join(path, local): local for local, _ in own}
            found.append(_Found(path, layer, cls, tensors, opaque=True))
        # Not named_children(): it skips a module registered twice, whose
        # second place must become ties.
        children = [
            (name, child)
            for name, child in module._modules.items()
            if child is not None
        ]
        visited = [
            self.visit(child, _join(path, name)) for name, child in children
        ]
        paths = [_join(path, name) for name, _ in children]
        for first, last in self._runs(module, children, paths, visited):
            if first == last:
                found += visited[first]
                continue

            # Identical neighbours: the first stands for all, as a repeated block.
            whole = (first, last) == (0, len(children) - 1)
            target = (
                path
                if whole
                else _join(path, f"{children[first][0]}_{children[last][0]}")
            )
            old = _join(path, children[first][0])
            for item in visited[first]:
                repeats = tuple(
                    (_rebase(p, old, target), n) for p, n in item.repeats
                )
                found.append(
                    dataclasses.replace(
                        item,
                        path=_rebase(item.path, old, target),
                        tensors={},
                        repeats=((target, last - first + 1), *repeats),
                    )
                )
        return found

    def _runs(
        self,
        module: Any,
        children: list[tuple[str, Any]],
        paths: list[str],
        visited: list[list[_Found]],
    ) -> list[tuple[int, int]]:
        """First and last index of each run of identical children of a list.

        Children of an ``nn.ModuleList`` or ``nn.Sequential`` are identical when
        they give the same nodes and share no parameter; any other module's
        children are runs of one.
        """
        nn = self.torch.nn
        if not isinstance(module, nn.ModuleList | nn.Sequential):
            return [(i, i) for i in range(len(children))]
        keys: list[object] = []
        for (_, child), prefix, items in zip(
            children, paths, visited, strict=True
        ):
            if not items or self.has_shared(child):
                keys.append(object())  # equal to nothing
            else:
                keys.append(tuple(item.signature(prefix) for item in items))
        runs: list[tuple[int, int]] = []
        for i, key in enumerate(keys):
            if runs and keys[runs[-1][0]] == key:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        return runs


def _rebase(path: str, old: str, new: str) -> str:
    """``path`` under ``old`` moved under ``new``: ``h.0.attn`` to ``h.attn``."""
    rest = path.removeprefix(old).lstrip(".")
    return _join(new, rest) if rest else new


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _same_tensors(
    layer: Layer,
    params: Mapping[str, Any],
    fused: Mapping[str, tuple[str, ...]] | None,
) -> bool:
    """Whether ``layer`` has exactly the module's tensors, name by name."""
    expected = dict(_expected_tensors(layer))
    if fused is None:
        return expected == {name: p.numel() for name, p in params.items()}
    covered: list[str] = []
    for name, p in params.items():
        parts = fused.get(name, ())
        covered += parts
        if (
            not parts
            or sum(expected.get(part, -1) for part in parts) != p.numel()
        ):
            return False
    return sorted(covered) == sorted(expected)


def _expected_tensors(layer: Layer) -> Iterator[tuple[str, int]]:
    """Name and size of each tensor under ``pytorch``, ``{k}`` spelt out."""
    for tensor in layer.tensors(_PYTORCH):
        size = sympy.Mul(*tensor.shape)
        if tensor.index is None:
            yield tensor.name, int(tensor.numel)
            continue
        first, last = (int(i) for i in tensor.index)
        for k in range(first, last + 1):
            yield tensor.name.replace("{k}", str(k)), int(size)


def _node_names(found: list[_Found], root: str) -> list[str]:
    """Node names from module paths: '.' becomes '_'; repeats get a suffix."""
    names: list[str] = []
    taken: set[str] = set()
    for item in found:
        base = _sanitize(item.path) or _sanitize(root) or "module"
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        names.append(name)
    return names


def _sanitize(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", path)


# Naming sizes: numbers and Kind.field keys to symbols or expressions.


def _automatic(found: list[_Found]) -> dict[int | str, str]:
    """Names for the sizes that repeat, after the argument each first fills."""
    places: dict[int, list[str]] = {}

    def visit(value: Any, field: str) -> None:
        if isinstance(value, sympy.Integer) and value > 1:
            places.setdefault(int(value), []).append(field)
        elif isinstance(value, tuple):
            for item in value:
                visit(item, field)

    for item in found:
        for f in dataclasses.fields(item.layer):
            visit(getattr(item.layer, f.name), f.name)
        for _, times in item.repeats:
            visit(sympy.Integer(times), "repeats")
    chosen = {
        n: fields for n, fields in places.items() if len(fields) > 1
    } or places
    names: dict[int | str, str] = {}
    taken: set[str] = set()
    for number, fields in chosen.items():
        base = fields[0]
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        names[number] = name
    return names


class _Rules:
    """The parsed ``symbolize`` mapping, and the values it has given symbols."""

    def __init__(self) -> None:
        self.by_number: dict[int, tuple[str, sympy.Expr]] = {}
        self.by_field: dict[str, tuple[str, sympy.Expr]] = {}
        self.symbols: dict[str, sympy.Symbol] = {}
        self.found: dict[sympy.Symbol, tuple[int, str]] = {}
        self.places: dict[str, list[str]] = {}
        self.checks: list[tuple[str, sympy.Expr, int, str]] = []

    @classmethod
    def parse(cls, symbolize: Mapping[int | str, str]) -> _Rules:
        rules = cls()
        if not isinstance(symbolize, Mapping):
            raise InputError(
                "symbolize: expected a mapping such as {768: 'd_model'}"
            )
        entries = [
            (rules.key(key), key, text) for key, text in symbolize.items()
        ]

        # Names first, so that expressions can refer to them.
        for _, key, text in entries:
            where = f"symbolize[{key!r}]"
            if not isinstance(text, str):
                raise InputError(
                    f"{where}: expected a symbol name or an expression "
                    f"as text, got {type(text).__name__}"
                )
            if text.strip().isidentifier():
                rules.symbols.setdefault(text.strip(), dimension(text.strip()))
        for target, key, text in entries:
            where = f"symbolize[{key!r}]"
            expr = parse_expression(text, rules.symbols, where=where)
            table = (
                rules.by_number if isinstance(target, int) else rules.by_field
            )
            table[target] = (where, expr)
            if isinstance(target, int) and isinstance(expr, sympy.Symbol):
                rules.bind(expr, target, where)
        return rules

    def key(self, key: int | str) -> int | str:
        if isinstance(key, str) and key.strip().isdigit():
            key = int(key.strip())
        if isinstance(key, int) and not isinstance(key, bool):
            if key < 1:
                raise InputError(
                    f"symbolize[{key!r}]: sizes are positive integers"
                )
            return key
        if not isinstance(key, str):
            raise InputError(
                f"symbolize: key {key!r} is not a number or 'Kind.field'"
            )
        kind, _, field = key.strip().partition(".")
        if f"{kind}.{field}" == REPEAT_KEY:
            return REPEAT_KEY
        if kind not in KINDS:
            raise InputError(
                f"symbolize[{key!r}]: unknown layer kind {kind!r}; "
                f"accepted: {', '.join(KINDS)}, or {REPEAT_KEY}"
            )
        sizes = [
            f.name
            for f in dataclasses.fields(KINDS[kind])
            if "Expr" in str(f.type)
        ]
        if field not in sizes:
            raise InputError(
                f"symbolize[{key!r}]: {kind} has no size {field!r}; "
                f"its sizes: {', '.join(sizes)}"
            )
        return f"{kind}.{field}"

    def bind(self, symbol: sympy.Symbol, number: int, where: str) -> None:
        if symbol in self.found and self.found[symbol][0] != number:
            earlier, place = self.found[symbol]
            raise InputError(
                f"{where}: symbol {symbol} would stand for {number} "
                f"here and for {earlier} at {place}; name them apart"
            )
        self.found.setdefault(symbol, (number, where))

    def replace(self, number: int, field: str, where: str) -> sympy.Expr | None:
        rule = self.by_field.get(field) or self.by_number.get(number)
        if rule is None:
            return None
        origin, expr = rule
        if isinstance(expr, sympy.Symbol):
            self.bind(expr, number, where)
        else:
            self.checks.append((origin, expr, number, where))
        for symbol in expr.free_symbols:
            places = self.places.setdefault(str(symbol), [])
            if field not in places:
                places.append(field)
        return expr

    def apply(self, layer: Layer, node: str) -> Layer:
        """The layer with every size that a rule names replaced."""
        changes = {}
        for f in dataclasses.fields(layer):
            value = getattr(layer, f.name)
            new = self._value(value, f"{layer.kind}.{f.name}", f"node {node!r}")
            if new is not value:
                changes[f.name] = new
        return dataclasses.replace(layer, **changes) if changes else layer

    def _value(self, value: Any, field: str, where: str) -> Any:
        if isinstance(value, sympy.Integer):
            new = self.replace(int(value), field, f"{where}: {field}")
            return value if new is None else new
        if isinstance(value, tuple):
            items = tuple(self._value(v, field, where) for v in value)
            return (
                value
                if all(a is b for a, b in zip(items, value, strict=True))
                else items
            )
        return value

    def times(self, number: int, path: str) -> sympy.Expr:
        new = self.replace(number, REPEAT_KEY, f"block {path!r}")
        return sympy.Integer(number) if new is None else new

    def values(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Each used symbol at its number; checks every expression rule."""
        values = {s: sympy.Integer(n) for s, (n, _) in self.found.items()}
        for origin, expr, number, where in self.checks:
            missing = expr.free_symbols - set(values)
            if missing:
                names = ", ".join(sorted(str(s) for s in missing))
                raise InputError(
                    f"{origin}: {expr} uses {names}, which no number "
                    "in the module gives a value"
                )
            got = expr.xreplace(values)
            if got != number:
                raise InputError(
                    f"{origin}: {expr} = {got} at {where}, but the "
                    f"module's size there is {number}"
                )
        return values

    def meanings(self) -> dict[str, str]:
        return {
            str(symbol): f"{number} in the module: "
            + ", ".join(self.places.get(str(symbol), []))
            for symbol, (number, _) in self.found.items()
        }


# Matchers: from a module to the layer kind it is, or None. Each result is
# checked against the module's parameters before it is accepted.


def _bias(linear: Any) -> bool:
    return linear.bias is not None


def _torch_nn(module: Any, nn: Any) -> Layer | None:
    """torch.nn's own layers, which the layer kinds mirror."""
    if isinstance(module, nn.Linear):
        return Linear(
            module.in_features, module.out_features, bias=_bias(module)
        )
    if isinstance(module, nn.Embedding | nn.EmbeddingBag):
        return Embedding(module.num_embeddings, module.embedding_dim)
    for cls, kind in ((nn.LSTM, LSTM), (nn.GRU, GRU), (nn.RNN, RNN)):
        if type(module) is cls or (
            isinstance(module, cls) and cls is not nn.RNN
        ):
            extra = {"proj_size": module.proj_size} if kind is LSTM else {}
            return kind(
                module.input_size,
                module.hidden_size,
                module.num_layers,
                bias=module.bias,
                bidirectional=module.bidirectional,
                **extra,
            )
    for cls, kind in (
        (nn.Conv1d, Conv1d),
        (nn.Conv2d, Conv2d),
        (nn.ConvTranspose2d, ConvTranspose2d),
    ):
        if isinstance(module, cls):
            return _conv(module, kind)
    if isinstance(module, nn.LayerNorm):
        return LayerNorm(
            tuple(module.normalized_shape),
            elementwise_affine=module.elementwise_affine,
            bias=module.bias is not None,
        )
    if isinstance(module, nn.RMSNorm):
        return RMSNorm(
            tuple(module.normalized_shape),
            elementwise_affine=module.elementwise_affine,
        )
    for cls, kind in (
        (nn.BatchNorm1d, BatchNorm1d),
        (nn.BatchNorm2d, BatchNorm2d),
    ):
        if type(module) is cls:
            return kind(
                module.num_features,
                affine=module.affine,
                track_running_stats=module.track_running_stats,
            )
    if isinstance(module, nn.GroupNorm):
        return GroupNorm(
            module.num_groups,
            module.num_channels,
            affine=module.affine,
            bias=module.affine and module.bias is not None,
        )
    if isinstance(module, nn.MultiheadAttention):
        e = module.embed_dim
        return MultiheadAttention(
            e,
            module.num_heads,
            bias=module.in_proj_bias is not None,
            add_bias_kv=module.bias_k is not None,
            kdim=None if module.kdim == e else module.kdim,
            vdim=None if module.vdim == e else module.vdim,
        )
    for cls, kind in (
        (nn.TransformerDecoderLayer, TransformerDecoderLayer),
        (nn.TransformerEncoderLayer, TransformerEncoderLayer),
    ):
        if isinstance(module, cls):
            attention = module.self_attn
            return kind(
                attention.embed_dim,
                attention.num_heads,
                module.linear1.out_features,
                norm_first=module.norm_first,
                bias=_bias(module.linear1),
            )
    return None


def _conv(module: Any, kind: type[Layer]) -> Layer:
    spacing = {}
    for field in ("stride", "padding", "dilation", "output_padding"):
        value = getattr(module, field, None)
        if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
            spacing[field] = value
    if kind is not ConvTranspose2d:
        spacing.pop("output_padding", None)
    return kind(
        module.in_channels,
        module.out_channels,
        tuple(module.kernel_size),
        groups=module.groups,
        bias=_bias(module),
        **spacing,
    )


def _gpt2_conv1d(module: Any, nn: Any) -> Layer | None:
    """HuggingFace's ``Conv1D``: a linear map whose weight is stored transposed."""
    if type(module).__name__ != "Conv1D" or not hasattr(module, "nf"):
        return None
    return Linear(module.nx, module.nf, bias=module.bias is not None)


def _named_norm(module: Any, nn: Any) -> Layer | None:
    """A norm class of another library: a gain (and a shift) per feature."""
    cls = type(module).__name__
    own = dict(module.named_parameters(recurse=False))
    if (
        not cls.endswith(("Norm", "LayerNorm"))
        or set(own) - {"weight", "bias"}
        or "weight" not in own
        or own["weight"].dim() != 1
    ):
        return None
    features = own["weight"].shape[0]
    if "RMS" in cls or cls == "T5LayerNorm":
        return RMSNorm(features)
    if "LayerNorm" in cls:
        return LayerNorm(features, bias="bias" in own)
    return None


def _children_with_parameters(module: Any) -> dict[str, Any]:
    return {
        name: child
        for name, child in module.named_children()
        if any(True for _ in child.parameters())
    }


def _grouped_query_attention(module: Any, nn: Any) -> Layer | None:
    """Attention with ``q_proj``, ``k_proj``, ``v_proj`` and ``o_proj``."""
    children = _children_with_parameters(module)
    if set(children) != {"q_proj", "k_proj", "v_proj", "o_proj"} or not all(
        isinstance(c, nn.Linear) for c in children.values()
    ):
        return None
    head = getattr(module, "head_dim", None)
    if not isinstance(head, int) or head < 1:
        return None
    q, k = children["q_proj"], children["k_proj"]
    heads, kv_heads = q.out_features // head, k.out_features // head
    return GroupedQueryAttention(
        q.in_features,
        heads,
        None if kv_heads == heads else kv_heads,
        None if heads * head == q.in_features else head,
        bias=_bias(q),
    )


def _gated_feed_forward(module: Any, nn: Any) -> Layer | None:
    """A gated linear unit block: ``gate_proj``, ``up_proj``, ``down_proj``."""
    children = _children_with_parameters(module)
    if set(children) != {"gate_proj", "up_proj", "down_proj"} or not all(
        isinstance(c, nn.Linear) for c in children.values()
    ):
        return None
    gate = children["gate_proj"]
    return GatedFeedForward(
        gate.in_features, gate.out_features, bias=_bias(gate)
    )


def _top_k(module: Any) -> int | None:
    for owner in (
        module,
        getattr(module, "gate", None),
        getattr(module, "router", None),
    ):
        for attribute in ("top_k", "num_experts_per_tok"):
            value = getattr(owner, attribute, None)
            if isinstance(value, int) and value > 0:
                return value
    return None


def _mixture_of_experts(module: Any, nn: Any):
    """A router ``gate`` and ``experts``: a list of blocks, or fused tensors."""
    children = _children_with_parameters(module)
    top_k = _top_k(module)
    if set(children) != {"gate", "experts"} or top_k is None:
        return None
    router = dict(children["gate"].named_parameters())
    if set(router) != {"weight"} or router["weight"].dim() != 2:
        return None
    experts_count, d_model = router["weight"].shape
    experts = children["experts"]
    if isinstance(experts, nn.ModuleList):
        if len(experts) != experts_count:
            return None
        first = _gated_feed_forward(experts[0], nn) or _feed_forward(
            experts[0], nn
        )
        if first is None:
            return None
        return MixtureOfExperts(
            d_model,
            first.dim_feedforward,
            experts_count,
            top_k,
            gated=isinstance(first, GatedFeedForward),
            bias=first.bias,
        )

    # Fused experts: gate and up projections in one tensor, down in another.
    fused = dict(experts.named_parameters())
    if set(fused) != {"gate_up_proj", "down_proj"}:
        return None
    inner = fused["down_proj"].numel() // (experts_count * d_model)
    layer = MixtureOfExperts(
        d_model, inner, experts_count, top_k, gated=True, bias=False
    )
    each = range(experts_count)
    names = {
        "gate.weight": ("gate.weight",),
        "experts.gate_up_proj": tuple(
            f"experts.{k}.{p}.weight"
            for k in each
            for p in ("gate_proj", "up_proj")
        ),
        "experts.down_proj": tuple(
            f"experts.{k}.down_proj.weight" for k in each
        ),
    }
    return layer, names


def _feed_forward(module: Any, nn: Any) -> Layer | None:
    """Two linear maps named ``linear1`` and ``linear2``, as torch.nn's blocks."""
    children = _children_with_parameters(module)
    if set(children) != {"linear1", "linear2"} or not all(
        isinstance(c, nn.Linear) for c in children.values()
    ):
        return None
    first = children["linear1"]
    return FeedForward(first.in_features, first.out_features, bias=_bias(first))


_MATCHERS: tuple[Callable[[Any, Any], Any], ...] = (
    _torch_nn,
    _gpt2_conv1d,
    _named_norm,
    _grouped_query_attention,
    _gated_feed_forward,
    _feed_forward,
    _mixture_of_experts,
)
