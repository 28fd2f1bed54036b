"""Position information: learned embeddings, and the parameter-free sinusoidal
and rotary encodings.

References:
    Vaswani et al. (2017), section 3.5 (sinusoids; learned embeddings as the
    variant of Table 3, row E). Su et al. (2021), "RoFormer: Enhanced
    Transformer with Rotary Position Embedding".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.layers.base import Layer, size
from symcount.layers.embedding import Embedding

__all__ = ["PositionalEmbedding", "RotaryEmbedding", "SinusoidalPositionalEncoding"]


@dataclass(frozen=True)
class PositionalEmbedding(Embedding):
    """A learned vector per position: a ``torch.nn.Embedding`` of ``n_ctx`` rows.

    Example:
        >>> from symcount.layers import PositionalEmbedding
        >>> from symcount.symbols import dimension
        >>> n_ctx, d_model = dimension("n_ctx"), dimension("d_model")
        >>> PositionalEmbedding(n_ctx, d_model).count()
        d_model*n_ctx
    """

    kind: ClassVar[str] = "PositionalEmbedding"


@dataclass(frozen=True)
class SinusoidalPositionalEncoding(Layer):
    """Fixed sines and cosines added to the embeddings; no parameters.

    Args:
        d_model: Size of the vectors it is added to; ``None`` to infer it.

    Example:
        >>> from symcount.layers import SinusoidalPositionalEncoding
        >>> SinusoidalPositionalEncoding(512).count()
        0
    """

    kind: ClassVar[str] = "SinusoidalPositionalEncoding"
    input_field: ClassVar[str | None] = "d_model"

    d_model: sympy.Expr | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "d_model", size(self.d_model, "d_model",
                                                 layer=self.kind, optional=True))

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def tensors(self, convention: Convention | str = Convention.PAPER):
        return ()


@dataclass(frozen=True)
class RotaryEmbedding(Layer):
    """Rotations of query and key pairs by position; no parameters.

    Its inverse frequencies are a fixed buffer that is not saved with the
    model (HuggingFace marks it non-persistent), so it is not counted either.

    Args:
        dim: The rotated size, usually the head size.

    Example:
        >>> from symcount.layers import RotaryEmbedding
        >>> RotaryEmbedding(128).count()
        0
    """

    kind: ClassVar[str] = "RotaryEmbedding"

    dim: sympy.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", size(self.dim, "dim", layer=self.kind))

    @property
    def output_dim(self) -> sympy.Expr:
        return self.dim

    def tensors(self, convention: Convention | str = Convention.PAPER):
        return ()
