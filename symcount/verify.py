"""Verifying a derivation against real implementations, on PyTorch's meta device.

Two implementations are built with every symbol at its value, and their
parameters counted with ``numel()`` (each shared tensor once):

* the network in torch.nn, node by node: each layer kind becomes its torch.nn
  module (or a small module of torch.nn parts with the same tensor names), a
  repeated block becomes that many copies, and a tie shares one parameter;
* where the derivation has a ``[verify]`` table, the HuggingFace model it
  names, built from its hand-written config.

The derived count is taken under the ``pytorch`` convention and compared in
total, node by node for torch.nn, and for the nodes that ``[verify.parts]``
maps to HuggingFace parameter names. The meta device allocates no memory, so
even a 175-billion-parameter model is built in seconds. torch and transformers
are imported only when a verification runs.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import importlib
import types
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from symcount.conventions import Convention
from symcount.derivation import Derivation
from symcount.errors import InputError, SymcountError, UnsupportedLayerError
from symcount.evaluate import Evaluation, evaluate
from symcount.layers import (
    GRU,
    LSTM,
    RNN,
    AdditiveAttention,
    BatchNorm1d,
    BatchNorm2d,
    Bottleneck,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Embedding,
    FeedForward,
    Flatten,
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
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from symcount.symbols import resolve_values

__all__ = ["Comparison", "Implementation", "Verification", "verify"]

_PYTORCH = Convention.PYTORCH


@dataclass(frozen=True)
class Comparison:
    """One derived number next to the one an implementation holds."""

    name: str
    derived: int
    built: int

    @property
    def agrees(self) -> bool:
        return self.derived == self.built


@dataclass(frozen=True)
class Implementation:
    """What one implementation holds: its total, and parts where names allow.

    Attributes:
        source: ``"torch.nn"`` or ``"transformers.<Class>"``.
        total: Parameters, each shared tensor once.
        parts: Node by node, where the implementation's names allow.
        buffers: Buffer elements (running statistics), for torch.nn builds.
    """

    source: str
    total: Comparison
    parts: tuple[Comparison, ...] = ()
    buffers: Comparison | None = None

    @property
    def agrees(self) -> bool:
        checks = [self.total, *self.parts]
        if self.buffers is not None:
            checks.append(self.buffers)
        return all(c.agrees for c in checks)


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify`: the derivation and each implementation."""

    evaluation: Evaluation
    implementations: tuple[Implementation, ...]

    @property
    def agrees(self) -> bool:
        return all(i.agrees for i in self.implementations)


def verify(
    derivation: Derivation,
    overrides: Mapping[sympy.Symbol, sympy.Expr] | None = None,
) -> Verification:
    """Builds ``derivation`` in torch.nn (and HuggingFace) and compares counts.

    Args:
        derivation: A loaded derivation.
        overrides: Values replacing the paper's, as ``--set`` gives them.

    Returns:
        A :class:`Verification`; ``agrees`` is whether every number matches.

    Raises:
        SymcountError: If torch (or, for a ``[verify]`` table, transformers) is
            not installed.
        UnsupportedLayerError: For a layer kind or tie that cannot be built yet.
        InputError: If a symbol has no value, or the HuggingFace class is unknown.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.verify import verify
        >>> result = verify(load_derivation("seq2seq"))
        >>> result.agrees, result.implementations[0].total.built
        (True, 384144000)
    """
    # Count under the pytorch convention with the paper's values.
    evaluation = evaluate(derivation, _PYTORCH, overrides)
    values = resolve_values(evaluation.values)
    numbers = evaluation.numbers

    # Build the network from torch.nn parts, then the HuggingFace model.
    implementations = [_verify_torch(derivation, numbers, values)]
    if derivation.verify:
        implementations.append(_verify_hf(derivation, numbers, values))
    return Verification(evaluation, tuple(implementations))


def _torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise SymcountError(
            "verify needs torch; install it with: pip install 'symcount[verify]'"
        ) from None


def _integer(expr: sympy.Expr, values: Mapping, where: str) -> int:
    value = sympy.expand(sympy.sympify(expr).xreplace(values))
    if value.free_symbols:
        missing = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise InputError(f"{where}: give values for: {missing}")
    if not value.is_Integer:
        raise InputError(f"{where} = {value} is not a whole number")
    return int(value)


def _numeric(layer: Layer, values: Mapping, node: str) -> Layer:
    """The layer with every symbolic size replaced by its value."""

    def number(value: Any, where: str) -> Any:
        if isinstance(value, sympy.Basic):
            return _integer(value, values, where)
        if isinstance(value, tuple):  # sizes, or an Opaque layer's shapes
            return tuple(number(v, where) for v in value)
        return value

    changes = {f.name: number(getattr(layer, f.name), f"node {node!r}: {f.name}")
               for f in dataclasses.fields(layer)}
    return dataclasses.replace(layer, **changes)


def _verify_torch(derivation: Derivation, numbers, values) -> Implementation:
    torch = _torch()
    network = derivation.network
    root = torch.nn.Module()
    aliases: dict[str, set[str]] = {v: set() for v in network.G.nodes}
    repeated = {v for block in network.blocks for v in block.nodes}

    # One module per node; a repeated node is that many copies.
    with torch.device("meta"):
        for node, layer in network.layers().items():
            layer = _numeric(layer, values, node)
            times = _integer(network.times(node), values, f"node {node!r}: times")
            if node in repeated:
                module = torch.nn.ModuleList(_module(layer) for _ in range(times))
            else:
                module = _module(layer)
            root.add_module(node, module)

    # A tie makes the alias the owner's parameter.
    for tie in network.ties:
        nodes = {tie.alias.partition(".")[0], tie.owner.partition(".")[0]}
        if nodes & repeated:
            raise UnsupportedLayerError(
                f"verify: tie {tie.alias} -> {tie.owner} into a repeated block is "
                "not yet supported")
        owner = root.get_parameter(tie.owner)
        path, _, attribute = tie.alias.rpartition(".")
        setattr(root.get_submodule(path), attribute, owner)
        node, _, tensor = tie.alias.partition(".")
        aliases[node].add(tensor)

    # Count each node without its aliases, then the whole without duplicates.
    parts = []
    for part in numbers.parts:
        module = root.get_submodule(part.name)
        built = sum(
            p.numel()
            for name, p in module.named_parameters(remove_duplicate=False)
            if name not in aliases[part.name])
        parts.append(Comparison(part.name, int(part.expression), built))
    total = Comparison("total", int(numbers.total),
                       sum(p.numel() for p in root.parameters()))
    buffers = Comparison("buffers", int(numbers.buffers),
                         sum(b.numel() for b in root.buffers()))
    return Implementation("torch.nn", total, tuple(parts), buffers)


def _verify_hf(derivation: Derivation, numbers, values) -> Implementation:
    torch = _torch()
    table = derivation.verify
    try:
        transformers = importlib.import_module("transformers")
    except ImportError:
        raise SymcountError(
            f"verify: {derivation.name} names a HuggingFace model; install "
            "transformers with: pip install 'symcount[verify]'") from None
    cls = getattr(transformers, table["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel)):
        raise InputError(f"{derivation.path}: verify.class: {table['class']!r} is "
                         "not a HuggingFace model class, such as 'GPT2LMHeadModel'")

    # The config: every expression at its value.
    config = {}
    for option, value in table["config"].items():
        where = f"verify.config.{option}"
        if isinstance(value, list):
            config[option] = [_integer(v, values, where) for v in value]
        elif isinstance(value, bool | str):  # a flag, or text such as an activation
            config[option] = value
        else:
            config[option] = _integer(value, values, where)

    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        model = cls(cls.config_class(**config))
    named = dict(model.named_parameters())

    parts = []
    for node, patterns in table["parts"].items():
        built = sum(p.numel() for name, p in named.items()
                    if any(fnmatch.fnmatchcase(name, pat) for pat in patterns))
        parts.append(Comparison(node, int(numbers.part(node).expression), built))
    total = Comparison("total", int(numbers.total),
                       sum(p.numel() for p in named.values()))
    return Implementation(f"transformers.{table['class']}", total, tuple(parts))


# torch.nn modules of the layer kinds; every layer here has plain int sizes.


def _bias(layer: Layer) -> bool:
    return _PYTORCH.has_bias(layer.bias)


def _ints(layer: Layer) -> Any:
    """The layer's fields with sizes as Python ints, as torch.nn takes them."""

    def plain(value: Any) -> Any:
        if isinstance(value, sympy.Basic):
            return int(value)
        if isinstance(value, tuple):
            return tuple(plain(v) for v in value)
        return value

    fields = {f.name: plain(getattr(layer, f.name)) for f in dataclasses.fields(layer)}
    return types.SimpleNamespace(**fields)


@functools.singledispatch
def _module(layer: Layer):
    raise UnsupportedLayerError(f"verify: building {layer.kind} in torch.nn is not "
                                "yet supported")


@_module.register(Embedding)
def _(layer: Embedding):
    f = _ints(layer)
    return _torch().nn.Embedding(f.num_embeddings, f.embedding_dim)


@_module.register(Linear)
def _(layer: Linear):
    f = _ints(layer)
    return _torch().nn.Linear(f.in_features, f.out_features, bias=_bias(layer))


@_module.register(RNN)
@_module.register(LSTM)
@_module.register(GRU)
def _(layer):
    f = _ints(layer)
    extra = {"proj_size": f.proj_size} if getattr(f, "proj_size", 0) else {}
    return getattr(_torch().nn, layer.kind)(
        f.input_size, f.hidden_size, f.num_layers, bias=_bias(layer),
        bidirectional=f.bidirectional, **extra)


@_module.register(Conv1d)
@_module.register(Conv2d)
@_module.register(ConvTranspose2d)
def _(layer):
    f = _ints(layer)
    extra = {}
    if isinstance(layer, ConvTranspose2d):
        extra["output_padding"] = f.output_padding
    return getattr(_torch().nn, layer.kind)(
        f.in_channels, f.out_channels, f.kernel_size, stride=f.stride,
        padding=f.padding, dilation=f.dilation, groups=f.groups, bias=_bias(layer),
        **extra)


@_module.register(Flatten)
def _(layer: Flatten):
    nn, f = _torch().nn, _ints(layer)
    return nn.Sequential(nn.AdaptiveAvgPool2d((f.height, f.width)), nn.Flatten())


@_module.register(LayerNorm)
def _(layer: LayerNorm):
    f = _ints(layer)
    return _torch().nn.LayerNorm(f.normalized_shape,
                                 elementwise_affine=f.elementwise_affine,
                                 bias=_bias(layer))


@_module.register(RMSNorm)
def _(layer: RMSNorm):
    f = _ints(layer)
    return _torch().nn.RMSNorm(f.normalized_shape,
                               elementwise_affine=f.elementwise_affine)


@_module.register(BatchNorm1d)
@_module.register(BatchNorm2d)
def _(layer):
    f = _ints(layer)
    return getattr(_torch().nn, layer.kind)(
        f.num_features, affine=f.affine, track_running_stats=f.track_running_stats)


@_module.register(GroupNorm)
def _(layer: GroupNorm):
    f = _ints(layer)
    return _torch().nn.GroupNorm(f.num_groups, f.num_channels, affine=f.affine,
                                 bias=_bias(layer))


@_module.register(MultiheadAttention)
def _(layer: MultiheadAttention):
    f = _ints(layer)
    return _torch().nn.MultiheadAttention(
        f.embed_dim, f.num_heads, bias=_bias(layer), add_bias_kv=f.add_bias_kv,
        kdim=f.kdim, vdim=f.vdim)


def _children(**children):
    """A plain torch.nn module holding ``children`` under their names."""
    module = _torch().nn.Module()
    for name, child in children.items():
        module.add_module(name, child)
    return module


@_module.register(GroupedQueryAttention)
def _(layer: GroupedQueryAttention):
    linear, bias, f = _torch().nn.Linear, _bias(layer), _ints(layer)
    head = f.head_dim or f.embed_dim // f.num_heads
    queries, keys = f.num_heads * head, int(layer.kv_heads) * head
    return _children(q_proj=linear(f.embed_dim, queries, bias=bias),
                     k_proj=linear(f.embed_dim, keys, bias=bias),
                     v_proj=linear(f.embed_dim, keys, bias=bias),
                     o_proj=linear(queries, f.embed_dim, bias=bias))


@_module.register(AdditiveAttention)
def _(layer: AdditiveAttention):
    linear, f = _torch().nn.Linear, _ints(layer)
    return _children(query=linear(f.query_size, f.hidden_size, bias=False),
                     key=linear(f.key_size, f.hidden_size, bias=_bias(layer)),
                     energy=linear(f.hidden_size, 1, bias=False))


@_module.register(FeedForward)
@_module.register(GatedFeedForward)
def _(layer):
    linear, bias, f = _torch().nn.Linear, _bias(layer), _ints(layer)
    d, inner = f.d_model, f.dim_feedforward
    if isinstance(layer, GatedFeedForward):
        return _children(gate_proj=linear(d, inner, bias=bias),
                         up_proj=linear(d, inner, bias=bias),
                         down_proj=linear(inner, d, bias=bias))
    return _children(linear1=linear(d, inner, bias=bias),
                     linear2=linear(inner, d, bias=bias))


@_module.register(TransformerEncoderLayer)
@_module.register(TransformerDecoderLayer)
def _(layer):
    f = _ints(layer)
    return getattr(_torch().nn, layer.kind)(
        f.d_model, f.nhead, f.dim_feedforward, norm_first=f.norm_first,
        bias=_bias(layer))


@_module.register(SinusoidalPositionalEncoding)
@_module.register(RotaryEmbedding)
def _(layer):
    return _children()


@_module.register(MixtureOfExperts)
def _(layer: MixtureOfExperts):
    nn, f = _torch().nn, _ints(layer)
    experts = nn.ModuleList(_module(layer.expert()) for _ in range(f.num_experts))
    return _children(gate=nn.Linear(f.d_model, f.num_experts, bias=False),
                     experts=experts)


@_module.register(Bottleneck)
def _(layer: Bottleneck):
    nn, f = _torch().nn, _ints(layer)
    width, out = int(layer.width), int(layer.output_dim)
    children = dict(
        conv1=nn.Conv2d(f.inplanes, width, 1, bias=False),
        bn1=nn.BatchNorm2d(width),
        conv2=nn.Conv2d(width, width, 3, stride=f.stride, padding=1,
                        groups=f.groups, bias=False),
        bn2=nn.BatchNorm2d(width),
        conv3=nn.Conv2d(width, out, 1, bias=False),
        bn3=nn.BatchNorm2d(out),
    )
    if f.downsample:
        children["downsample"] = nn.Sequential(
            nn.Conv2d(f.inplanes, out, 1, stride=f.stride, bias=False),
            nn.BatchNorm2d(out))
    return _children(**children)


@_module.register(Opaque)
def _(layer: Opaque):
    torch = _torch()
    root = _children()
    for name, shape in zip(layer.names, layer.shapes, strict=True):
        *path, leaf = name.split(".")
        owner = root
        for part in path:
            if not hasattr(owner, part):
                owner.add_module(part, _children())
            owner = getattr(owner, part)
        owner.register_parameter(leaf, torch.nn.Parameter(torch.empty(
            tuple(int(s) for s in shape))))
    return root
