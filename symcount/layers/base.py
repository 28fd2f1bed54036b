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

__all__ = [
    "Composite",
    "Layer",
    "Tensor",
    "flag",
    "same_shape",
    "same_size",
    "size",
    "sizes",
]


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


def same_size(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two sizes are equal for every value of their symbols.

    Example:
        >>> from symcount.layers.base import same_size
        >>> from symcount.symbols import d
        >>> same_size(2 * (d + 1), 2 * d + 2)
        True
    """
    return a == b or sympy.expand(a - b) == 0


def same_shape(a: tuple[sympy.Expr, ...], b: tuple[sympy.Expr, ...]) -> bool:
    """Whether two tensor shapes are equal, size by size (see :func:`same_size`)."""
    return len(a) == len(b) and all(
        same_size(x, y) for x, y in zip(a, b, strict=True)
    )


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

    def buffers(self, convention: Convention = Convention.PAPER) -> tuple[Tensor, ...]:
        """Saved but untrained state, such as running statistics; none by default."""
        return ()

    def active_count(
        self, convention: Convention | str = Convention.PAPER
    ) -> sympy.Expr:
        """Parameters that one token uses; all of them unless the layer routes.

        Example:
            >>> from symcount.layers import Linear
            >>> from symcount.symbols import d, n
            >>> Linear(d, n).active_count()
            d*n
        """
        return sympy.expand(self.count(convention) - self.idle_count(convention))

    def idle_count(
        self, convention: Convention | str = Convention.PAPER
    ) -> sympy.Expr:
        """Parameters one token leaves unused: the experts it is not routed to.

        Zero unless the layer routes, so counting a network costs nothing extra
        for the layers that do not.

        Example:
            >>> from symcount.layers import Linear
            >>> from symcount.symbols import d, n
            >>> Linear(d, n).idle_count()
            0
        """
        return sympy.S.Zero

    def count(self, convention: Convention | str = Convention.PAPER) -> sympy.Expr:
        """The number of parameters: the sum of the tensors' sizes, expanded.

        Example:
            >>> from symcount.layers import Linear
            >>> from symcount.symbols import d, V_tgt
            >>> Linear(d, V_tgt).count("pytorch")
            V_tgt*d + V_tgt
        """
        convention = Convention.parse(convention)
        return sympy.expand(sympy.Add(*(t.numel for t in self.tensors(convention))))

    def _require_input(self) -> sympy.Expr:
        if self.input_dim is None:
            raise ShapeMismatchError(
                f"{self.kind}: {self.input_field} is unknown; state it or connect "
                "a predecessor whose output gives it"
            )
        return self.input_dim


def sizes(
    value: object, field: str, *, layer: str, length: int
) -> tuple[sympy.Expr, ...]:
    """Checks a size that torch also takes as a tuple, e.g. ``kernel_size``.

    Args:
        value: One size (used for every dimension) or a tuple of ``length``.
        field: The argument's name, for the error message.
        layer: The layer kind, for the error message.
        length: How many dimensions the layer has (1 for Conv1d, 2 for Conv2d).

    Raises:
        InputError: If the tuple has the wrong length or a size is not positive.

    Example:
        >>> from symcount.layers.base import sizes
        >>> sizes(3, "kernel_size", layer="Conv2d", length=2)
        (3, 3)
    """
    if isinstance(value, tuple | list):
        if len(value) != length:
            raise InputError(
                f"{layer}: {field} has {len(value)} sizes; it takes one size or "
                f"{length}"
            )
        return tuple(size(v, field, layer=layer) for v in value)
    return (size(value, field, layer=layer),) * length


def flag(value: object, field: str, *, layer: str, optional: bool = False):
    """Checks a true/false argument; ``None`` too if ``optional``.

    Raises:
        InputError: If the value is not a bool (or ``None`` when optional).

    Example:
        >>> from symcount.layers.base import flag
        >>> flag(None, "bias", layer="Linear", optional=True) is None
        True
    """
    if isinstance(value, bool) or (optional and value is None):
        return value
    accepted = "true, false or unset" if optional else "true or false"
    raise InputError(f"{layer}: {field}={value!r} is not {accepted}")


class Composite(Layer):
    """A layer made of named sublayers, like a torch.nn module with children.

    Its tensors are its sublayers' tensors, named ``child.tensor`` as torch's
    ``named_parameters`` names them. Subclasses implement ``sublayers``.
    """

    def sublayers(self) -> dict[str, Layer]:
        """The children by the attribute name torch gives them, in torch's order."""
        raise NotImplementedError

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        return tuple(
            dataclasses.replace(t, name=f"{name}.{t.name}")
            for name, layer in self.sublayers().items()
            for t in layer.tensors(convention)
        )

    def buffers(self, convention: Convention = Convention.PAPER):
        return tuple(
            dataclasses.replace(t, name=f"{name}.{t.name}")
            for name, layer in self.sublayers().items()
            for t in layer.buffers(convention)
        )

    def idle_count(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        idle = (layer.idle_count(convention) for layer in self.sublayers().values())
        return sympy.expand(sympy.Add(*idle))
