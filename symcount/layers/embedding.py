"""The lookup table of word vectors, as ``torch.nn.Embedding``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.layers.base import Layer, Tensor, size

__all__ = ["Embedding"]


@dataclass(frozen=True)
class Embedding(Layer):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``; no bias.

    Args:
        num_embeddings: The vocabulary size, e.g. ``V_src``.
        embedding_dim: The size of each vector, e.g. ``d``.

    Example:
        >>> from symcount.layers import Embedding
        >>> from symcount.symbols import V_src, d
        >>> Embedding(V_src, d).count()
        V_src*d
    """

    kind: ClassVar[str] = "Embedding"

    num_embeddings: sympy.Expr
    embedding_dim: sympy.Expr

    def __post_init__(self) -> None:
        for field in ("num_embeddings", "embedding_dim"):
            value = size(getattr(self, field), field, layer=self.kind)
            object.__setattr__(self, field, value)

    @property
    def output_dim(self) -> sympy.Expr:
        return self.embedding_dim

    def tensors(self, convention: Convention | str = Convention.PAPER):
        return (Tensor("weight", (self.num_embeddings, self.embedding_dim)),)
