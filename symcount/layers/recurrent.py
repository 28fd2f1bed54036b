"""Stacked recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, as in torch.nn.

Layer ``k`` of a stack has input weights ``weight_ih_lk`` of shape
``(G*hidden_size, input)``, recurrent weights ``weight_hh_lk`` of shape
``(G*hidden_size, r)`` and, with biases, ``G*hidden_size`` per bias vector;
``G`` is the number of gates (1, 4, 3) and ``r`` is ``proj_size`` when an LSTM
projects its output, else ``hidden_size``. Layer 0 reads ``input_size``; deeper
layers read the previous layer's output, ``r`` times 2 when bidirectional.

With a symbolic ``num_layers`` the deeper layers stay one symbolic term: the
tensor ``weight_ih_l{k}`` with ``k = 1, ..., num_layers - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError
from symcount.layers.base import Layer, Tensor, size

__all__ = ["GRU", "LSTM", "RNN"]

_ENUMERATE_UP_TO = 64
"""A numeric stack up to this depth lists each layer's tensors by name."""


@dataclass(frozen=True)
class _Recurrent(Layer):
    """Fields and tensors shared by the recurrent kinds; see the module docstring."""

    gates: ClassVar[int] = 1

    input_size: sympy.Expr | None
    hidden_size: sympy.Expr
    num_layers: sympy.Expr = sympy.Integer(1)
    bias: bool | None = None
    bidirectional: bool = False

    input_field: ClassVar[str | None] = "input_size"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(
            self,
            "input_size",
            size(self.input_size, "input_size", layer=self.kind, optional=True),
        )
        for field in ("hidden_size", "num_layers"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind))
        for field in ("bias", "bidirectional"):
            value = getattr(self, field)
            if not (isinstance(value, bool) or (field == "bias" and value is None)):
                raise InputError(f"{self.kind}: {field}={value!r} is not true/false")

    @property
    def directions(self) -> int:
        """2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def recurrent_size(self) -> sympy.Expr:
        """The size of the hidden state fed back: ``proj_size`` or ``hidden_size``."""
        return self.hidden_size

    @property
    def output_dim(self) -> sympy.Expr:
        return self.directions * self.recurrent_size

    def bias_vectors(self, convention: Convention) -> tuple[str, ...]:
        """The names of the bias vectors of one layer and direction."""
        if not convention.has_bias(self.bias):
            return ()
        if convention is Convention.PYTORCH:
            return ("bias_ih", "bias_hh")
        return ("bias",)

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        first = self._require_input()
        deeper = self.directions * self.recurrent_size
        if self.num_layers.is_Integer and self.num_layers <= _ENUMERATE_UP_TO:
            stack = [
                (str(k), 1, None, first if k == 0 else deeper)
                for k in range(int(self.num_layers))
            ]
        else:
            rest = (sympy.Integer(1), self.num_layers - 1)
            stack = [("0", 1, None, first), ("{k}", self.num_layers - 1, rest, deeper)]
        tensors = []
        for layer, copies, index, width in stack:
            for suffix in ("", "_reverse")[: self.directions]:
                for name, shape, role in self._layer_tensors(width, convention):
                    tensors.append(
                        Tensor(
                            f"{name}_l{layer}{suffix}",
                            shape,
                            sympy.Integer(1) * copies,
                            index,
                            role,
                        )
                    )
        return tuple(tensors)

    def _layer_tensors(self, width: sympy.Expr, convention: Convention):
        rows = self.gates * self.hidden_size
        yield "weight_ih", (rows, width), "weight"
        yield "weight_hh", (rows, self.recurrent_size), "weight"
        for name in self.bias_vectors(convention):
            yield name, (rows,), "bias"


@dataclass(frozen=True)
class RNN(_Recurrent):
    """An Elman RNN stack, ``h' = tanh(W_ih x + W_hh h + b)``: one gate.

    Example:
        >>> from symcount.layers import RNN
        >>> from symcount.symbols import d, n
        >>> RNN(d, n).count("keras")
        d*n + n**2 + n
    """

    kind: ClassVar[str] = "RNN"
    gates: ClassVar[int] = 1


@dataclass(frozen=True)
class LSTM(_Recurrent):
    """An LSTM stack: four gates (input, forget, cell, output), optional projection.

    Args:
        input_size: Input size of layer 0; ``None`` to infer it.
        hidden_size: Cells per layer, ``n``.
        num_layers: Stacked layers, an int or a symbol such as ``L``.
        bias: ``True``/``False``, or ``None`` to follow the convention.
        bidirectional: Whether each layer also runs backwards.
        proj_size: If positive, ``h`` is projected to this size by ``weight_hr``.

    Example:
        >>> from symcount.layers import LSTM
        >>> from symcount.symbols import d, n, L
        >>> LSTM(d, n, L).count()
        8*L*n**2 + 4*d*n - 4*n**2
    """

    kind: ClassVar[str] = "LSTM"
    gates: ClassVar[int] = 4

    proj_size: sympy.Expr = sympy.Integer(0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.proj_size == 0:
            object.__setattr__(self, "proj_size", sympy.Integer(0))
            return
        proj = size(self.proj_size, "proj_size", layer=self.kind)
        object.__setattr__(self, "proj_size", proj)
        if (proj - self.hidden_size).is_nonnegative:
            raise InputError(
                f"LSTM: proj_size={proj} must be smaller than hidden_size="
                f"{self.hidden_size}, as in torch.nn.LSTM"
            )

    @property
    def recurrent_size(self) -> sympy.Expr:
        return self.proj_size if self.proj_size != 0 else self.hidden_size

    def _layer_tensors(self, width: sympy.Expr, convention: Convention):
        yield from super()._layer_tensors(width, convention)
        if self.proj_size != 0:
            yield "weight_hr", (self.proj_size, self.hidden_size), "weight"


@dataclass(frozen=True)
class GRU(_Recurrent):
    """A GRU stack: three gates (reset, update, new).

    Under ``keras`` a GRU has two bias vectors, as Keras' default
    ``reset_after=True`` adds one inside the reset gate; under ``pytorch`` two.

    Example:
        >>> from symcount.layers import GRU
        >>> from symcount.symbols import d, n
        >>> GRU(d, n).count("keras")
        3*d*n + 3*n**2 + 6*n
    """

    kind: ClassVar[str] = "GRU"
    gates: ClassVar[int] = 3

    def bias_vectors(self, convention: Convention) -> tuple[str, ...]:
        if convention is Convention.KERAS and convention.has_bias(self.bias):
            return ("bias_ih", "bias_hh")
        return super().bias_vectors(convention)
