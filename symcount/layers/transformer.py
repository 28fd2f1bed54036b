"""Transformer blocks, as ``torch.nn.TransformerEncoderLayer`` and ``DecoderLayer``.

A block is a composite layer: its tensors are its sublayers' tensors, named as
torch.nn names them (``self_attn.in_proj_weight``, ``linear1.bias``,
``norm1.weight``, ...). ``norm_first`` (pre-norm, as in GPT-2) moves the layer
norms before the sublayers; it changes no parameter. A decoder-only block (GPT)
is an encoder layer with a causal mask, so it is a ``TransformerEncoderLayer``.

References:
    Vaswani et al. (2017), "Attention Is All You Need", section 3.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.layers.attention import MultiheadAttention
from symcount.layers.base import Composite, Layer, flag, size
from symcount.layers.linear import Linear
from symcount.layers.norm import LayerNorm

__all__ = ["TransformerDecoderLayer", "TransformerEncoderLayer"]


@dataclass(frozen=True)
class TransformerEncoderLayer(Composite):
    """Self-attention and a feed-forward block, each with a layer norm.

    Args:
        d_model: Model size; ``None`` to infer it.
        nhead: Attention heads.
        dim_feedforward: Inner size of the feed-forward block (torch's default
            2048).
        norm_first: Pre-norm (``True``) or post-norm; no effect on the count.
        bias: Biases of every linear map and layer norm; ``None`` follows the
            convention (none in ``paper``, torch's in ``keras`` and ``pytorch``).

    Example:
        >>> from symcount.layers import TransformerEncoderLayer
        >>> from symcount.symbols import dimension
        >>> d_model, d_ff = dimension("d_model"), dimension("d_ff")
        >>> TransformerEncoderLayer(d_model, 8, d_ff).count()
        2*d_ff*d_model + 4*d_model**2 + 2*d_model
    """

    kind: ClassVar[str] = "TransformerEncoderLayer"
    input_field: ClassVar[str | None] = "d_model"

    d_model: sympy.Expr | None
    nhead: sympy.Expr
    dim_feedforward: sympy.Expr = sympy.Integer(2048)
    norm_first: bool = False
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "d_model", size(self.d_model, "d_model", layer=self.kind,
                                   optional=True))
        for field in ("nhead", "dim_feedforward"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind))
        flag(self.norm_first, "norm_first", layer=self.kind)
        flag(self.bias, "bias", layer=self.kind, optional=True)
        if self.d_model is not None:
            MultiheadAttention(self.d_model, self.nhead)

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def attention(self) -> MultiheadAttention:
        return MultiheadAttention(self._require_input(), self.nhead, bias=self.bias)

    def norm(self) -> LayerNorm:
        return LayerNorm(self._require_input(), bias=self.bias)

    def sublayers(self) -> dict[str, Layer]:
        d, inner = self._require_input(), self.dim_feedforward
        return {"self_attn": self.attention(),
                "linear1": Linear(d, inner, bias=self.bias),
                "linear2": Linear(inner, d, bias=self.bias),
                "norm1": self.norm(), "norm2": self.norm()}


@dataclass(frozen=True)
class TransformerDecoderLayer(TransformerEncoderLayer):
    """Self-attention, attention over the encoder's output, and a feed-forward block.

    Takes the arguments of :class:`TransformerEncoderLayer`; the memory it
    attends to has ``d_model`` features, as in torch.nn.

    Example:
        >>> from symcount.layers import TransformerDecoderLayer
        >>> TransformerDecoderLayer(512, 8, 2048).count("pytorch")
        4204032
    """

    kind: ClassVar[str] = "TransformerDecoderLayer"

    def sublayers(self) -> dict[str, Layer]:
        d, inner = self._require_input(), self.dim_feedforward
        return {"self_attn": self.attention(), "multihead_attn": self.attention(),
                "linear1": Linear(d, inner, bias=self.bias),
                "linear2": Linear(inner, d, bias=self.bias),
                "norm1": self.norm(), "norm2": self.norm(), "norm3": self.norm()}
