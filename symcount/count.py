"""Counting: from a layer or network to a closed-form parameter count.

The count of a network is the sum over its nodes of ``times * layer count``,
less every tied tensor, which is counted once, at its owner. Totals are kept
expanded (a canonical form, so equal counts compare equal) and shown collected
by symbol. Buffers (saved but untrained state, such as batch norm's running
statistics) are totalled apart, and so are the parameters one token uses when
a layer routes tokens to a few experts.

References:
    Sutskever, Vinyals & Le (2014), "Sequence to Sequence Learning with Neural
    Networks", section 3.4: the 384M-parameter LSTM this package derives first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError, ShapeMismatchError
from symcount.graph import Network
from symcount.layers.base import Layer, Tensor, same_shape
from symcount.symbols import substitute

__all__ = ["ParameterCount", "Part", "count_parameters", "closed_form"]


def closed_form(expr: sympy.Expr) -> sympy.Expr:
    """Collects an expanded count by its symbols, highest degree first.

    Example:
        >>> from symcount.count import closed_form
        >>> from symcount.symbols import d, n
        >>> closed_form(4*d*n + 4*n**2 + 4*n)
        4*n**2 + n*(4*d + 4)
    """
    expr = sympy.expand(expr)
    if expr.is_number:
        return expr
    symbols = sorted(expr.free_symbols, key=lambda s: (-_degree(expr, s), str(s)))
    return sympy.collect(expr, symbols)


def _degree(expr: sympy.Expr, symbol: sympy.Symbol) -> int:
    """The highest power of ``symbol`` among the terms of an expanded count.

    A power in a denominator (``c**2/g``, from grouped convolutions) or inside
    ``ceil`` or ``floor`` counts as 0. Reading the terms is much cheaper than
    building a polynomial, and this runs for every symbol of every count shown.
    """
    best = 0
    for term in sympy.Add.make_args(expr):
        power = term.as_powers_dict().get(symbol, sympy.S.Zero)
        if power.is_Integer and power > best:
            best = int(power)
    return best


@dataclass(frozen=True)
class Part:
    """One node's share of a count.

    Attributes:
        name: The node's name (the layer kind for a lone layer).
        layer: The layer, input size inferred.
        tensors: Its parameter tensors under the count's convention.
        times: How many times the node is counted (its block's repeat).
        tied: Names of its tensors that are another node's tensor.
        expression: Parameters it owns: ``times`` times its untied tensors.
        uses: Parameter uses: ``times`` times all its tensors.
        group: The node's group, or ``None``.
        tags: The node's tags.
        buffers: ``times`` times the sizes of its buffers (not parameters).
        active: Parameters it owns that one token uses.
    """

    name: str
    layer: Layer
    tensors: tuple[Tensor, ...]
    times: sympy.Expr
    tied: frozenset[str]
    expression: sympy.Expr
    uses: sympy.Expr
    group: str | None = None
    tags: tuple[str, ...] = ()
    buffers: sympy.Expr = sympy.Integer(0)
    active: sympy.Expr | None = None


@dataclass(frozen=True)
class ParameterCount:
    """The result of :func:`count_parameters`; immutable.

    Attributes:
        name: The network's name.
        convention: The bias convention counted under.
        parts: One per node, in topological order.
        total: Parameters, tied tensors once; expanded.
        uses: Parameter uses, tied tensors at every use; expanded.
        groups: Subtotal per group, in first-seen order.
        tags: Subtotal per tag, in first-seen order.
        values: The values substituted so far (empty for a symbolic count).
        buffers: Buffer elements, e.g. running statistics; not parameters.
        active: Parameters one token uses (``total`` unless experts route).
    """

    name: str
    convention: Convention
    parts: tuple[Part, ...]
    total: sympy.Expr
    uses: sympy.Expr
    groups: Mapping[str, sympy.Expr] = field(default_factory=dict)
    tags: Mapping[str, sympy.Expr] = field(default_factory=dict)
    values: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    buffers: sympy.Expr = sympy.Integer(0)
    active: sympy.Expr | None = None

    @property
    def closed_form(self) -> sympy.Expr:
        """The total collected by symbol, for display."""
        return closed_form(self.total)

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """The free symbols of the total, sorted by name."""
        return tuple(sorted(self.total.free_symbols, key=str))

    def part(self, name: str) -> Part:
        """The part of node ``name``."""
        for part in self.parts:
            if part.name == name:
                return part
        known = ", ".join(p.name for p in self.parts)
        raise InputError(f"no node {name!r} in count {self.name!r}; nodes: {known}")

    def subtotal(self, of: str) -> sympy.Expr:
        """The total (``"total"``), a group (``"group:G"``), tag or node subtotal.

        Example:
            >>> from symcount import count_parameters
            >>> from symcount.layers import LSTM
            >>> from symcount.symbols import d, n
            >>> count_parameters(LSTM(d, n)).subtotal("total")
            4*d*n + 4*n**2
        """
        kind, _, name = of.partition(":")
        if of == "total":
            return self.total
        table = {"group": self.groups, "tag": self.tags}.get(kind)
        if table is not None and name in table:
            return table[name]
        if kind == "node" and name:
            return self.part(name).expression
        choices = ["total"] + [f"group:{g}" for g in self.groups]
        choices += [f"tag:{t}" for t in self.tags]
        choices += [f"node:{p.name}" for p in self.parts]
        raise InputError(f"unknown subtotal {of!r}; accepted: {', '.join(choices)}")

    def subs(self, values: Mapping[sympy.Symbol, sympy.Expr]) -> ParameterCount:
        """Returns the count with ``values`` substituted in every expression.

        Values may refer to other symbols (``n = d``); they are resolved first.
        """
        merged = {**self.values, **values}

        def at(expr: sympy.Expr) -> sympy.Expr:
            return substitute(expr, merged)

        parts = tuple(
            replace(p, expression=at(p.expression), uses=at(p.uses), times=at(p.times),
                    buffers=at(p.buffers),
                    active=None if p.active is None else at(p.active))
            for p in self.parts
        )
        return replace(
            self,
            parts=parts,
            total=at(self.total),
            uses=at(self.uses),
            buffers=at(self.buffers),
            active=None if self.active is None else at(self.active),
            groups=MappingProxyType({k: at(v) for k, v in self.groups.items()}),
            tags=MappingProxyType({k: at(v) for k, v in self.tags.items()}),
            values=MappingProxyType(merged),
        )

    def value(self, of: str = "total") -> int:
        """The number of parameters of ``of`` once every symbol has a value.

        Raises:
            InputError: If symbols remain without a value, naming them.
        """
        expr = self.subtotal(of)
        if expr.free_symbols:
            missing = ", ".join(sorted(str(s) for s in expr.free_symbols))
            raise InputError(f"{of} of {self.name!r} needs values for: {missing}")
        return int(expr)

    def __str__(self) -> str:
        width = max([len(p.name) for p in self.parts] + [4])
        lines = [f"{self.name} ({self.convention.value} convention)"]
        for p in self.parts:
            lines.append(f"  {p.name:<{width}}  {closed_form(p.expression)}")
        lines.append(f"  {'total':<{width}}  {self.closed_form}")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return f"$N_{{\\mathrm{{{self.name}}}}} = {sympy.latex(self.closed_form)}$"


def count_parameters(
    model: Layer | Network,
    convention: Convention | str = Convention.PAPER,
) -> ParameterCount:
    """Counts the parameters of a layer or network in closed form.

    Args:
        model: A layer, or a network of layers.
        convention: ``paper``, ``keras`` or ``pytorch``; decides the biases of
            layers whose ``bias`` is unset.

    Returns:
        A :class:`ParameterCount` with total, parts and subtotals.

    Raises:
        ShapeMismatchError: If sizes disagree along an edge or in a tie.
        InputError: For an unknown convention or a tie to a missing tensor.

    Example:
        >>> from symcount import count_parameters
        >>> from symcount.layers import LSTM
        >>> from symcount.symbols import d, n, L
        >>> count_parameters(LSTM(d, n, L), "keras").total
        8*L*n**2 + 4*L*n + 4*d*n - 4*n**2
    """
    convention = Convention.parse(convention)
    if isinstance(model, Layer):
        network = Network(model.kind)
        network.add(model.kind, model)
    elif isinstance(model, Network):
        network = model
    else:
        raise TypeError(f"expected a Layer or a Network, got {type(model).__name__}")

    # Resolve input sizes and list every node's tensors.
    layers = network.layers()
    tensors = {v: layer.tensors(convention) for v, layer in layers.items()}

    # Check ties and note which tensors are aliases.
    tied: dict[str, set[str]] = {v: set() for v in layers}
    for tie in network.ties:
        if not any(_has_tensor(ref, tensors) for ref in (tie.alias, tie.owner)):
            continue  # neither tensor exists under this convention, e.g. biases
        alias = _find_tensor(tie.alias, tensors)
        owner = _find_tensor(tie.owner, tensors)
        if not same_shape(alias.shape, owner.shape):
            raise ShapeMismatchError(
                f"tie {tie.alias} -> {tie.owner}: shapes {alias.shape} and "
                f"{owner.shape} differ"
            )
        tied[tie.alias.partition(".")[0]].add(alias.name)

    # Count each node, then sum into groups and tags.
    parts = []
    for v, layer in layers.items():
        times = network.times(v)
        own = sympy.Add(*(t.numel for t in tensors[v] if t.name not in tied[v]))
        every = sympy.Add(*(t.numel for t in tensors[v]))
        idle = layer.idle_count(convention)
        kept = sympy.Add(*(t.numel for t in layer.buffers(convention)))
        parts.append(
            Part(
                name=v,
                layer=layer,
                tensors=tensors[v],
                times=times,
                tied=frozenset(tied[v]),
                expression=sympy.expand(times * own),
                uses=sympy.expand(times * every),
                group=network.group(v),
                tags=network.tags(v),
                buffers=sympy.expand(times * kept),
                active=sympy.expand(times * (own - idle)),
            )
        )
    # Sum with one Add per subtotal: adding terms one at a time re-sorts the
    # growing sum at every step, which is quadratic in the number of nodes.
    groups: dict[str, list[sympy.Expr]] = {}
    tags: dict[str, list[sympy.Expr]] = {}
    for p in parts:
        if p.group is not None:
            groups.setdefault(p.group, []).append(p.expression)
        for tag in p.tags:
            tags.setdefault(tag, []).append(p.expression)

    # Uses and active parameters equal the total unless something is tied or
    # routed; a sum of thousands of terms is worth not sorting three times.
    total = sympy.Add(*(p.expression for p in parts))
    untied = all(p.uses == p.expression for p in parts)
    unrouted = all(p.active == p.expression for p in parts)
    return ParameterCount(
        name=network.name,
        convention=convention,
        parts=tuple(parts),
        total=total,
        uses=total if untied else sympy.Add(*(p.uses for p in parts)),
        groups=MappingProxyType({k: sympy.Add(*v) for k, v in groups.items()}),
        tags=MappingProxyType({k: sympy.Add(*v) for k, v in tags.items()}),
        buffers=sympy.Add(*(p.buffers for p in parts)),
        active=total if unrouted else sympy.Add(*(p.active for p in parts)),
    )


def _has_tensor(ref: str, tensors: Mapping[str, tuple[Tensor, ...]]) -> bool:
    node, _, name = ref.partition(".")
    return any(tensor.name == name for tensor in tensors[node])


def _find_tensor(ref: str, tensors: Mapping[str, tuple[Tensor, ...]]) -> Tensor:
    node, _, name = ref.partition(".")
    for tensor in tensors[node]:
        if tensor.name == name:
            return tensor
    have = ", ".join(t.name for t in tensors[node]) or "none"
    raise InputError(
        f"tie {ref!r}: node {node!r} has no tensor {name!r}; it has {have}"
    )
