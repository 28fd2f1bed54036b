"""Attention layers: torch.nn's ``MultiheadAttention``, grouped-query attention
and Bahdanau's additive attention.

``MultiheadAttention`` mirrors torch.nn: one packed ``in_proj_weight`` when keys
and values have the query's size, else separate ``q/k/v_proj_weight``.
``GroupedQueryAttention`` has separate ``q_proj``, ``k_proj``, ``v_proj`` and
``o_proj`` as in HuggingFace's Llama; ``num_kv_heads`` below ``num_heads`` shares
each key/value head among several query heads (multi-query: ``num_kv_heads=1``).

References:
    Vaswani et al. (2017), "Attention Is All You Need", section 3.2.
    Ainslie et al. (2023), "GQA: Training Generalized Multi-Query Transformer
    Models from Multi-Head Checkpoints".
    Bahdanau, Cho & Bengio (2014), "Neural Machine Translation by Jointly
    Learning to Align and Translate", appendix A.1.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError
from symcount.layers.base import Layer, Tensor, flag, size

__all__ = ["AdditiveAttention", "GroupedQueryAttention", "MultiheadAttention"]


def _divides(part: sympy.Expr, whole: sympy.Expr, what: str) -> None:
    if part.is_number and whole.is_number and whole % part != 0:
        raise InputError(what)


@dataclass(frozen=True)
class MultiheadAttention(Layer):
    """Multi-head attention as ``torch.nn.MultiheadAttention``.

    Args:
        embed_dim: Query (and output) size; ``None`` to infer it.
        num_heads: Heads; must divide ``embed_dim``. The count does not depend
            on it.
        bias: Biases of the input and output projections; ``None`` follows the
            convention (none in ``paper``, torch's in ``keras`` and ``pytorch``).
        add_bias_kv: Whether a learned key and value are appended
            (``bias_k`` and ``bias_v``).
        kdim: Key size; ``None`` for ``embed_dim``.
        vdim: Value size; ``None`` for ``embed_dim``.

    Example:
        >>> from symcount.layers import MultiheadAttention
        >>> from symcount.symbols import d_model
        >>> MultiheadAttention(d_model, 8).count("pytorch")
        4*d_model**2 + 4*d_model
    """

    kind: ClassVar[str] = "MultiheadAttention"
    input_field: ClassVar[str | None] = "embed_dim"

    embed_dim: sympy.Expr | None
    num_heads: sympy.Expr
    bias: bool | None = None
    add_bias_kv: bool = False
    kdim: sympy.Expr | None = None
    vdim: sympy.Expr | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for field in ("embed_dim", "kdim", "vdim"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind,
                                   optional=True))
        set_(self, "num_heads", size(self.num_heads, "num_heads", layer=self.kind))
        flag(self.bias, "bias", layer=self.kind, optional=True)
        flag(self.add_bias_kv, "add_bias_kv", layer=self.kind)
        if self.embed_dim is not None:
            _divides(self.num_heads, self.embed_dim,
                     f"MultiheadAttention: embed_dim={self.embed_dim} is not "
                     f"divisible by num_heads={self.num_heads}, as torch.nn requires")

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        e = self._require_input()
        k = e if self.kdim is None else self.kdim
        v = e if self.vdim is None else self.vdim
        tensors = []
        if sympy.expand(k - e) == 0 and sympy.expand(v - e) == 0:
            tensors.append(Tensor("in_proj_weight", (3 * e, e)))
        else:
            tensors += [Tensor("q_proj_weight", (e, e)),
                        Tensor("k_proj_weight", (e, k)),
                        Tensor("v_proj_weight", (e, v))]
        has_bias = convention.has_bias(self.bias)
        if has_bias:
            tensors.append(Tensor("in_proj_bias", (3 * e,), role="bias"))
        if self.add_bias_kv:
            one = sympy.Integer(1)
            tensors += [Tensor("bias_k", (one, one, e), role="bias"),
                        Tensor("bias_v", (one, one, e), role="bias")]
        tensors.append(Tensor("out_proj.weight", (e, e)))
        if has_bias:
            tensors.append(Tensor("out_proj.bias", (e,), role="bias"))
        return tuple(tensors)


@dataclass(frozen=True)
class GroupedQueryAttention(Layer):
    """Attention with separate q/k/v/o projections and ``num_kv_heads`` key heads.

    Args:
        embed_dim: Model size; ``None`` to infer it.
        num_heads: Query heads.
        num_kv_heads: Key and value heads; ``None`` for ``num_heads`` (plain
            multi-head attention), 1 for multi-query attention. Must divide
            ``num_heads``.
        head_dim: Size of one head; ``None`` for ``embed_dim / num_heads``.
        bias: Biases of the four projections; ``None`` follows the convention
            (none in ``paper``, one vector each in ``keras`` and ``pytorch``).

    Example:
        >>> from symcount.layers import GroupedQueryAttention
        >>> from symcount.symbols import dimension
        >>> d_model, n_head = dimension("d_model"), dimension("n_head")
        >>> n_kv_head = dimension("n_kv_head")
        >>> GroupedQueryAttention(d_model, n_head, n_kv_head).count()
        2*d_model**2 + 2*d_model**2*n_kv_head/n_head
    """

    kind: ClassVar[str] = "GroupedQueryAttention"
    input_field: ClassVar[str | None] = "embed_dim"

    embed_dim: sympy.Expr | None
    num_heads: sympy.Expr
    num_kv_heads: sympy.Expr | None = None
    head_dim: sympy.Expr | None = None
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for field in ("embed_dim", "num_kv_heads", "head_dim"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind,
                                   optional=True))
        set_(self, "num_heads", size(self.num_heads, "num_heads", layer=self.kind))
        flag(self.bias, "bias", layer=self.kind, optional=True)
        if self.num_kv_heads is not None:
            _divides(self.num_kv_heads, self.num_heads,
                     f"GroupedQueryAttention: num_heads={self.num_heads} is not "
                     f"divisible by num_kv_heads={self.num_kv_heads}")
        if self.head_dim is None and self.embed_dim is not None:
            _divides(self.num_heads, self.embed_dim,
                     f"GroupedQueryAttention: embed_dim={self.embed_dim} is not "
                     f"divisible by num_heads={self.num_heads}; state head_dim")

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    @property
    def kv_heads(self) -> sympy.Expr:
        """Key/value heads: ``num_kv_heads``, or ``num_heads`` if unset."""
        return self.num_heads if self.num_kv_heads is None else self.num_kv_heads

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        e = self._require_input()
        head = e / self.num_heads if self.head_dim is None else self.head_dim
        shapes = {"q_proj": (self.num_heads * head, e),
                  "k_proj": (self.kv_heads * head, e),
                  "v_proj": (self.kv_heads * head, e),
                  "o_proj": (e, self.num_heads * head)}
        tensors = []
        for name, shape in shapes.items():
            tensors.append(Tensor(f"{name}.weight", shape))
            if convention.has_bias(self.bias):
                tensors.append(Tensor(f"{name}.bias", shape[:1], role="bias"))
        return tuple(tensors)


@dataclass(frozen=True)
class AdditiveAttention(Layer):
    """Bahdanau's alignment model ``e = v_a^T tanh(W_a s + U_a h)``.

    ``query.weight`` is ``W_a`` (applied to the decoder state), ``key.weight``
    is ``U_a`` (applied to each annotation), ``energy.weight`` is ``v_a``. The
    output is the context vector: a weighted sum of annotations, of their size.

    Args:
        query_size: Size of the decoder state ``s``.
        key_size: Size of an annotation ``h``; ``None`` to infer it.
        hidden_size: Size ``n'`` of the alignment model's hidden layer.
        bias: A bias inside the ``tanh``; ``None`` follows the convention (none
            in ``paper``, one vector in ``keras`` and ``pytorch``).

    Example:
        >>> from symcount.layers import AdditiveAttention
        >>> from symcount.symbols import n
        >>> AdditiveAttention(n, 2 * n, n).count()
        3*n**2 + n
    """

    kind: ClassVar[str] = "AdditiveAttention"
    input_field: ClassVar[str | None] = "key_size"

    query_size: sympy.Expr
    key_size: sympy.Expr | None
    hidden_size: sympy.Expr
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "key_size", size(self.key_size, "key_size", layer=self.kind,
                                    optional=True))
        for field in ("query_size", "hidden_size"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind))
        flag(self.bias, "bias", layer=self.kind, optional=True)

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        hidden = self.hidden_size
        tensors = [Tensor("query.weight", (hidden, self.query_size)),
                   Tensor("key.weight", (hidden, self._require_input()))]
        if convention.has_bias(self.bias):
            tensors.append(Tensor("key.bias", (hidden,), role="bias"))
        tensors.append(Tensor("energy.weight", (sympy.Integer(1), hidden)))
        return tuple(tensors)
