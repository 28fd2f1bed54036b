"""The parts every layer kind shares: parameter tensors, sizes and the base class.

A layer kind is a frozen dataclass whose fields mirror torch.nn's argument names.
Each size field takes an ``int`` or a SymPy expression; the input size may be
``None`` when a network infers it from the predecessor's output.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError, ShapeMismatchError
from symcount.symbols import as_expr

__all__ = ["Layer", "Tensor", "size"]


@dataclass(frozen=True)
class Tensor:
    """One named parameter tensor with a symbolic shape.

    Args:
        name: The name torch.nn gives it, e.g. ``weight_ih_l0``. A name with
            ``{k}`` stands for ``copies`` tensors, one per index in ``index``.
        shape: The sizes, outermost first, like ``torch.Tensor.shape``.
        copies: How many tensors of this shape the name stands for.
        index: For a name with ``{k}``: the first and last value of ``k``.
        role: ``"weight"`` or ``"bias"``.

    Example:
        >>> from symcount.layers.base import Tensor
        >>> from symcount.symbols import d, n
        >>> Tensor("weight_ih_l0", (4 * n, d)).numel
        4*d*n
    """

    name: str
    shape: tuple[sympy.Expr, ...]
    copies: sympy.Expr = sympy.Integer(1)
    index: tuple[sympy.Expr, sympy.Expr] | None = None
    role: str = "weight"

    @property
    def numel(self) -> sympy.Expr:
        """Number of scalar parameters: ``copies`` times the product of the shape."""
        return self.copies * sympy.Mul(*self.shape)


def size(value: object, field: str, *, layer: str, optional: bool = False):
    """Checks one size argument and returns it as a SymPy expression.

    Args:
        value: An ``int``, a SymPy expression, or ``None`` if ``optional``.
        field: The argument's name, for the error message.
        layer: The layer kind, for the error message.
        optional: Whether ``None`` (to be inferred) is accepted.

    Raises:
        InputError: If a number is not a positive integer, or a symbolic size is
            known to be non-positive.
        TypeError: If the value is not an int or SymPy expression.

    Example:
        >>> from symcount.layers.base import size
        >>> size(1000, "hidden_size", layer="LSTM")
        1000
    """
    if value is None:
        if optional:
            return None
        raise InputError(f"{layer}: {field} is required")
    expr = as_expr(value, f"{layer}.{field}")
    if expr.is_number and not (expr.is_integer and expr.is_positive):
        raise InputError(
            f"{layer}: {field}={expr} is not a positive integer; sizes are "
            "positive integers or dimension symbols"
        )
    if expr.is_positive is False:
        raise InputError(f"{layer}: {field}={expr} can never be positive")
    return expr


class Layer:
    """Base class of the layer kinds.

    Subclasses are frozen dataclasses. They set ``input_field`` to the name of
    the field that holds the input size (``None`` if the input is token ids),
    and implement ``output_dim`` and ``tensors``.
    """

    kind: ClassVar[str] = "Layer"
    input_field: ClassVar[str | None] = None

    @property
    def input_dim(self) -> sympy.Expr | None:
        """The size of one input vector, or ``None`` if not yet known."""
        if self.input_field is None:
            return None
        return getattr(self, self.input_field)

    @property
    def output_dim(self) -> sympy.Expr:
        """The size of one output vector."""
        raise NotImplementedError

    def with_input_dim(self, value: sympy.Expr) -> Layer:
        """Returns a copy whose input size is ``value``."""
        if self.input_field is None:
            raise InputError(f"{self.kind} takes token ids; it has no input size")
        return dataclasses.replace(self, **{self.input_field: value})

    def tensors(self, convention: Convention = Convention.PAPER) -> tuple[Tensor, ...]:
        """The parameter tensors under ``convention``, in torch.nn's order."""
        raise NotImplementedError

    def count(self, convention: Convention | str = Convention.PAPER) -> sympy.Expr:
        """The number of parameters: the sum of the tensors' sizes, expanded.

        Example:
            >>> from symcount.layers import Linear
            >>> from symcount.symbols import d, V_tgt
            >>> Linear(d, V_tgt).count("pytorch")
            V_tgt*d + V_tgt
        """
        convention = Convention.parse(convention)
        return sympy.expand(sum((t.numel for t in self.tensors(convention)), 0))

    def _require_input(self) -> sympy.Expr:
        if self.input_dim is None:
            raise ShapeMismatchError(
                f"{self.kind}: {self.input_field} is unknown; state it or connect "
                "a predecessor whose output gives it"
            )
        return self.input_dim
