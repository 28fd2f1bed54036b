"""Position-wise feed-forward blocks: plain (two matrices) and gated (three).

``FeedForward`` is ``linear2(act(linear1(x)))`` with torch.nn's
``TransformerEncoderLayer`` names. ``GatedFeedForward`` is
``down_proj(act(gate_proj(x)) * up_proj(x))``, the GLU family (SwiGLU with
SiLU, GeGLU with GELU), with HuggingFace's Llama names.

References:
    Vaswani et al. (2017), equation (2). Shazeer (2020), "GLU Variants
    Improve Transformer".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.layers.base import Composite, Layer, flag, size
from symcount.layers.linear import Linear

__all__ = ["FeedForward", "GatedFeedForward"]


@dataclass(frozen=True)
class _FeedForward(Composite):
    input_field: ClassVar[str | None] = "d_model"

    d_model: sympy.Expr | None
    dim_feedforward: sympy.Expr
    bias: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "d_model", size(self.d_model, "d_model",
                                                 layer=self.kind, optional=True))
        object.__setattr__(self, "dim_feedforward", size(
            self.dim_feedforward, "dim_feedforward", layer=self.kind))
        flag(self.bias, "bias", layer=self.kind, optional=True)

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()


@dataclass(frozen=True)
class FeedForward(_FeedForward):
    """Two linear maps, ``d_model -> dim_feedforward -> d_model``.

    Args:
        d_model: Input and output size; ``None`` to infer it.
        dim_feedforward: Inner size, ``d_ff``.
        bias: ``None`` follows the convention (none in ``paper``).

    Example:
        >>> from symcount.layers import FeedForward
        >>> from symcount.symbols import dimension
        >>> d_model, d_ff = dimension("d_model"), dimension("d_ff")
        >>> FeedForward(d_model, d_ff).count("pytorch")
        2*d_ff*d_model + d_ff + d_model
    """

    kind: ClassVar[str] = "FeedForward"

    def sublayers(self) -> dict[str, Layer]:
        d, inner = self._require_input(), self.dim_feedforward
        return {"linear1": Linear(d, inner, bias=self.bias),
                "linear2": Linear(inner, d, bias=self.bias)}


@dataclass(frozen=True)
class GatedFeedForward(_FeedForward):
    """A gated linear unit block (SwiGLU, GeGLU): three matrices.

    Example:
        >>> from symcount.layers import GatedFeedForward
        >>> from symcount.symbols import dimension
        >>> d_model, d_ff = dimension("d_model"), dimension("d_ff")
        >>> GatedFeedForward(d_model, d_ff, bias=False).count("pytorch")
        3*d_ff*d_model
    """

    kind: ClassVar[str] = "GatedFeedForward"

    def sublayers(self) -> dict[str, Layer]:
        d, inner = self._require_input(), self.dim_feedforward
        return {"gate_proj": Linear(d, inner, bias=self.bias),
                "up_proj": Linear(d, inner, bias=self.bias),
                "down_proj": Linear(inner, d, bias=self.bias)}
