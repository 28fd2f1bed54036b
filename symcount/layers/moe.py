"""Mixture of experts: a router and ``num_experts`` feed-forward blocks.

Each token goes to the ``top_k`` experts its router scores highest, so a
token uses the router and ``top_k`` experts: the active parameters, against
the total of all experts.

References:
    Shazeer et al. (2017), "Outrageously Large Neural Networks: The
    Sparsely-Gated Mixture-of-Experts Layer". Fedus, Zoph & Shazeer (2021),
    "Switch Transformers" (``top_k = 1``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError
from symcount.layers.base import Layer, Tensor, flag, size
from symcount.layers.feedforward import FeedForward, GatedFeedForward

__all__ = ["MixtureOfExperts"]


@dataclass(frozen=True)
class MixtureOfExperts(Layer):
    """A bias-free router ``gate`` and ``num_experts`` feed-forward experts.

    Args:
        d_model: Input and output size; ``None`` to infer it.
        dim_feedforward: Inner size of each expert.
        num_experts: Experts, ``E``.
        top_k: Experts each token is sent to.
        gated: Gated experts (three matrices, as Mixtral) or plain ones (two).
        bias: Biases of the experts' linear maps; ``None`` follows the
            convention. The router has none.

    Example:
        >>> from symcount.layers import MixtureOfExperts
        >>> from symcount.symbols import dimension
        >>> d, f, E = dimension("d"), dimension("f"), dimension("E")
        >>> moe = MixtureOfExperts(d, f, E, 2, gated=True)
        >>> moe.count(), moe.active_count()
        (3*E*d*f + E*d, E*d + 6*d*f)
    """

    kind: ClassVar[str] = "MixtureOfExperts"
    input_field: ClassVar[str | None] = "d_model"

    d_model: sympy.Expr | None
    dim_feedforward: sympy.Expr
    num_experts: sympy.Expr
    top_k: sympy.Expr = sympy.Integer(1)
    gated: bool = False
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "d_model", size(self.d_model, "d_model", layer=self.kind,
                                   optional=True))
        for field in ("dim_feedforward", "num_experts", "top_k"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind))
        flag(self.gated, "gated", layer=self.kind)
        flag(self.bias, "bias", layer=self.kind, optional=True)
        if (self.top_k - self.num_experts).is_positive:
            raise InputError(f"MixtureOfExperts: top_k={self.top_k} exceeds "
                             f"num_experts={self.num_experts}")

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def expert(self) -> Layer:
        """One expert: a :class:`GatedFeedForward` or a :class:`FeedForward`."""
        kind = GatedFeedForward if self.gated else FeedForward
        return kind(self._require_input(), self.dim_feedforward, bias=self.bias)

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        router = Tensor("gate.weight", (self.num_experts, self._require_input()))
        index = (sympy.Integer(0), self.num_experts - 1)
        experts = tuple(
            dataclasses.replace(t, name=f"experts.{{k}}.{t.name}",
                                copies=self.num_experts, index=index)
            for t in self.expert().tensors(convention))
        return (router, *experts)

    def idle_count(self, convention: Convention | str = Convention.PAPER):
        # A token runs the router and top_k experts; the other experts idle.
        convention = Convention.parse(convention)
        unused = (self.num_experts - self.top_k) * self.expert().count(convention)
        return sympy.expand(unused)
