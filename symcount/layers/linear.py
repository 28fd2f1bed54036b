"""The fully connected layer ``y = W x + b``, as ``torch.nn.Linear``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.layers.base import Layer, Tensor, size

__all__ = ["Linear"]


@dataclass(frozen=True)
class Linear(Layer):
    """A fully connected layer: weight ``(out_features, in_features)`` and a bias.

    Args:
        in_features: Input size; ``None`` to infer it from the predecessor.
        out_features: Output size.
        bias: ``True``/``False`` to decide; ``None`` to follow the convention
            (none in ``paper``, one vector in ``keras`` and ``pytorch``).

    Example:
        >>> from symcount.layers import Linear
        >>> from symcount.symbols import n, V_tgt
        >>> [t.name for t in Linear(n, V_tgt).tensors("pytorch")]
        ['weight', 'bias']
    """

    kind: ClassVar[str] = "Linear"
    input_field: ClassVar[str | None] = "in_features"

    in_features: sympy.Expr | None
    out_features: sympy.Expr
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(
            self,
            "in_features",
            size(self.in_features, "in_features", layer=self.kind, optional=True),
        )
        set_(
            self,
            "out_features",
            size(self.out_features, "out_features", layer=self.kind),
        )

    @property
    def output_dim(self) -> sympy.Expr:
        return self.out_features

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        tensors = [Tensor("weight", (self.out_features, self._require_input()))]
        if convention.has_bias(self.bias):
            tensors.append(Tensor("bias", (self.out_features,), role="bias"))
        return tuple(tensors)
