"""The network: layers as nodes of a networkx DiGraph, composed into one model.

Caveats:
    Networks must be acyclic; recurrence lives inside a recurrent layer, not in
    the graph. An edge either carries data (the successor's input size may be
    inferred from it) or, with ``state=True``, a recurrent state (the two
    layers' hidden sizes must agree). A tied tensor is one tensor used in two
    places; it is counted once, where it is owned. A repeated block is counted
    ``times`` times and stays ``times * block`` in the formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import networkx as nx
import sympy

from symcount.errors import CycleError, InputError, ShapeMismatchError
from symcount.layers.base import Layer, same_size
from symcount.symbols import as_expr

__all__ = ["Block", "Network", "Tie"]


@dataclass(frozen=True)
class Tie:
    """Tensor ``alias`` (``"node.tensor"``) is the same tensor as ``owner``."""

    alias: str
    owner: str


@dataclass(frozen=True)
class Block:
    """Nodes that repeat ``times`` times, e.g. the ``n_layer`` transformer blocks."""

    name: str
    nodes: tuple[str, ...]
    times: sympy.Expr


class Network:
    """Layers composed along the edges of a directed acyclic graph.

    Args:
        name: A name for the whole network, used in results and reports.

    Example:
        >>> from symcount import Network
        >>> from symcount.layers import Embedding, LSTM, Linear
        >>> from symcount.symbols import V_tgt, d, n, L
        >>> net = Network("decoder")
        >>> net.add("embed", Embedding(V_tgt, d))
        >>> net.add("lstm", LSTM(None, n, L), tags=["recurrent"])
        >>> net.add("softmax", Linear(None, V_tgt))
        >>> net.connect("embed", "lstm")
        >>> net.connect("lstm", "softmax")
        >>> net.layer("softmax").in_features
        n

    Notes:
        ``layer(name)`` returns the layer with its inferred input size; the
        graph holds layers exactly as added.
    """

    def __init__(self, name: str = "network") -> None:
        self.name = name
        self.G = nx.DiGraph()
        self.ties: list[Tie] = []
        self.blocks: list[Block] = []

    def __repr__(self) -> str:
        return f"Network({self.name!r}, nodes={list(self.G.nodes)})"

    def copy(self) -> Network:
        """A copy whose graph, ties and blocks can change without touching this one."""
        other = Network(self.name)
        other.G = self.G.copy()
        other.ties = list(self.ties)
        other.blocks = list(self.blocks)
        return other

    def __len__(self) -> int:
        return self.G.number_of_nodes()

    def __iter__(self) -> Iterator[str]:
        """Node names in a topological order (ties broken by insertion order)."""
        order = {name: i for i, name in enumerate(self.G.nodes)}
        return iter(nx.lexicographical_topological_sort(self.G, key=order.get))

    def add(
        self,
        name: str,
        layer: Layer,
        *,
        group: str | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        """Adds ``layer`` as node ``name``, optionally in a group and with tags.

        Raises:
            InputError: If the name is taken or ``layer`` is not a layer.
        """
        if not isinstance(layer, Layer):
            raise InputError(f"node {name!r}: {layer!r} is not a symcount layer")
        if name in self.G:
            raise InputError(f"node {name!r} is already in network {self.name!r}")
        if "." in name or not name:
            raise InputError(f"node name {name!r} must be non-empty, without '.'")
        self.G.add_node(name, layer=layer, group=group, tags=tuple(tags))

    def connect(self, u: str, v: str, *, state: bool = False) -> None:
        """Adds the edge ``u -> v``; ``state=True`` for a recurrent state hand-over.

        Raises:
            InputError: If either node is missing.
            CycleError: If the edge would close a cycle.
        """
        for node in (u, v):
            self._require(node)
        if u == v or nx.has_path(self.G, v, u):
            path = [u] if u == v else nx.shortest_path(self.G, v, u)
            loop = " -> ".join([*path, v]) if u != v else f"{u} -> {u}"
            raise CycleError(f"edge {u} -> {v} would close the cycle {loop}")
        self.G.add_edge(u, v, state=state)

    def tie(self, alias: str, owner: str) -> None:
        """Makes tensor ``alias`` the same tensor as ``owner`` (``"node.tensor"``).

        Shapes are checked when the network is counted, since the tensors a
        layer has depend on the convention.
        """
        for ref in (alias, owner):
            node, _, tensor = ref.partition(".")
            if not tensor:
                raise InputError(f"tie {ref!r}: write it as 'node.tensor'")
            self._require(node)
        if any(t.alias == alias for t in self.ties):
            raise InputError(f"tensor {alias!r} is already tied")
        if alias == owner:
            raise InputError(f"tensor {alias!r} cannot be tied to itself")
        self.ties.append(Tie(alias, owner))

    def repeat(self, nodes: Iterable[str], times: object, *, name: str) -> None:
        """Counts ``nodes`` ``times`` times (an int or a symbol such as ``n_layer``).

        Raises:
            InputError: If a node is missing or already in a block.
        """
        members = tuple(nodes)
        if not members:
            raise InputError(f"block {name!r} has no nodes")
        taken = {node for block in self.blocks for node in block.nodes}
        for node in members:
            self._require(node)
            if node in taken:
                raise InputError(f"block {name!r}: node {node!r} is in another block")
        count = as_expr(times, f"block {name!r}: times")
        if count.is_positive is False or (count.is_number and not count.is_integer):
            raise InputError(f"block {name!r}: times={count} is not a positive integer")
        self.blocks.append(Block(name, members, count))

    def times(self, node: str) -> sympy.Expr:
        """How many times ``node`` is counted: its block's ``times``, else 1."""
        for block in self.blocks:
            if node in block.nodes:
                return block.times
        return sympy.Integer(1)

    def group(self, node: str) -> str | None:
        """The group of ``node``, or ``None``."""
        return self.G.nodes[self._require(node)]["group"]

    def tags(self, node: str) -> tuple[str, ...]:
        """The tags of ``node``."""
        return self.G.nodes[self._require(node)]["tags"]

    def layer(self, node: str) -> Layer:
        """The layer of ``node`` with its input size inferred from its predecessors.

        Raises:
            ShapeMismatchError: If a stated size disagrees with a predecessor's
                output, or no size can be inferred.
        """
        return self.layers()[self._require(node)]

    def layers(self) -> dict[str, Layer]:
        """Every node's layer, input sizes inferred, in topological order."""
        resolved: dict[str, Layer] = {}
        for v in self:
            layer = self.G.nodes[v]["layer"]
            incoming = list(self.G.predecessors(v))
            sources = [u for u in incoming if not self.G.edges[u, v]["state"]]
            states = [u for u in incoming if self.G.edges[u, v]["state"]]
            resolved[v] = self._infer(v, layer, [(u, resolved[u]) for u in sources])
            for u in states:
                self._check_state(u, resolved[u], v, resolved[v])
        self._check_blocks(resolved)
        return resolved

    def _require(self, node: str) -> str:
        if node not in self.G:
            known = ", ".join(self.G.nodes) or "none"
            raise InputError(
                f"no node {node!r} in network {self.name!r}; nodes: {known}"
            )
        return node

    def _infer(self, v: str, layer: Layer, sources: list[tuple[str, Layer]]) -> Layer:
        if layer.input_field is None or not sources:
            return layer
        stated = layer.input_dim
        outputs = [source.output_dim for _, source in sources]
        if stated is None:
            if len(sources) > 1:
                names = ", ".join(u for u, _ in sources)
                raise ShapeMismatchError(
                    f"node {v!r} has several inputs ({names}); state its "
                    f"{layer.input_field}: their common size, or their sum if joined",
                    node=v,
                )
            return layer.with_input_dim(outputs[0])
        if len(sources) > 1 and same_size(stated, sum(outputs, sympy.Integer(0))):
            return layer
        for (u, _), output in zip(sources, outputs, strict=True):
            if not same_size(stated, output):
                raise ShapeMismatchError(
                    f"node {v!r} states {layer.input_field}={stated} but its input "
                    f"from node {u!r} has size {output}",
                    edge=(u, v),
                )
        return layer

    def _check_state(self, u: str, source: Layer, v: str, target: Layer) -> None:
        sizes = [getattr(layer, "hidden_size", None) for layer in (source, target)]
        if None in sizes:
            raise ShapeMismatchError(
                f"state edge {u} -> {v}: both nodes must be recurrent layers",
                edge=(u, v),
            )
        if not same_size(*sizes):
            raise ShapeMismatchError(
                f"state edge {u} -> {v}: hidden_size {sizes[0]} of {u!r} differs "
                f"from hidden_size {sizes[1]} of {v!r}",
                edge=(u, v),
            )

    def _check_blocks(self, layers: dict[str, Layer]) -> None:
        """A block repeated in sequence must map its input size to itself."""
        for block in self.blocks:
            members = set(block.nodes)
            entries = [
                v
                for v in block.nodes
                if any(u not in members for u in self.G.predecessors(v))
            ]
            exits = [
                u
                for u in block.nodes
                if any(v not in members for v in self.G.successors(u))
            ]
            for v in entries:
                for u in exits:
                    size_in, size_out = layers[v].input_dim, layers[u].output_dim
                    if size_in is not None and not same_size(size_in, size_out):
                        raise ShapeMismatchError(
                            f"block {block.name!r} repeats, but its input {v!r} "
                            f"takes size {size_in} and its output {u!r} gives "
                            f"{size_out}",
                            block=block.name,
                        )
