"""Convolutions, as ``torch.nn.Conv1d``, ``Conv2d`` and ``ConvTranspose2d``.

A convolution with ``groups`` splits its channels into that many groups, each
filter seeing ``in_channels / groups`` of them; a depthwise convolution is the
case ``groups = in_channels``. Stride, padding and dilation are accepted as in
torch.nn but hold no parameters. ``Flatten`` turns a feature map into the one
vector a classifier reads; it has no parameters either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError
from symcount.layers.base import Layer, Tensor, flag, size, sizes

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "Flatten"]


def _spacing(value: object, field: str, *, layer: str, length: int, minimum: int):
    """Checks stride, padding or dilation: whole numbers from ``minimum`` up."""
    values = value if isinstance(value, tuple | list) else (value,) * length
    if len(values) != length:
        raise InputError(f"{layer}: {field} takes one number or {length}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | sympy.Integer) or v < minimum:
            raise InputError(f"{layer}: {field}={value!r} is not accepted; "
                             f"whole numbers from {minimum} up are")
    return tuple(int(v) for v in values)


@dataclass(frozen=True)
class _Conv(Layer):
    """Fields and checks shared by the convolution kinds."""

    dims: ClassVar[int] = 2
    input_field: ClassVar[str | None] = "in_channels"

    in_channels: sympy.Expr | None
    out_channels: sympy.Expr
    kernel_size: tuple[sympy.Expr, ...]
    stride: tuple[int, ...] = 1
    padding: tuple[int, ...] = 0
    dilation: tuple[int, ...] = 1
    groups: sympy.Expr = sympy.Integer(1)
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        kind, n = self.kind, self.dims
        set_(self, "in_channels", size(self.in_channels, "in_channels", layer=kind,
                                       optional=True))
        set_(self, "out_channels", size(self.out_channels, "out_channels",
                                        layer=kind))
        set_(self, "kernel_size", sizes(self.kernel_size, "kernel_size",
                                        layer=kind, length=n))
        for field, minimum in (("stride", 1), ("padding", 0), ("dilation", 1)):
            set_(self, field, _spacing(getattr(self, field), field, layer=kind,
                                       length=n, minimum=minimum))
        set_(self, "groups", size(self.groups, "groups", layer=kind))
        flag(self.bias, "bias", layer=kind, optional=True)
        for field in ("in_channels", "out_channels"):
            channels = getattr(self, field)
            if channels is not None and channels.is_number and self.groups.is_number \
                    and channels % self.groups != 0:
                raise InputError(f"{kind}: {field}={channels} is not divisible by "
                                 f"groups={self.groups}, as torch.nn requires")

    @property
    def output_dim(self) -> sympy.Expr:
        return self.out_channels

    def weight_shape(self) -> tuple[sympy.Expr, ...]:
        """``(out_channels, in_channels / groups, *kernel_size)``."""
        inputs = self._require_input() / self.groups
        return (self.out_channels, inputs, *self.kernel_size)

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        tensors = [Tensor("weight", self.weight_shape())]
        if convention.has_bias(self.bias):
            tensors.append(Tensor("bias", (self.out_channels,), role="bias"))
        return tuple(tensors)


@dataclass(frozen=True)
class Conv1d(_Conv):
    """A 1-D convolution: weight ``(out, in/groups, k)`` and one bias per filter.

    Args:
        in_channels: Input channels; ``None`` to infer them.
        out_channels: Filters.
        kernel_size: Filter width, one size or a 1-tuple.
        stride: Accepted as in torch.nn; holds no parameters.
        padding: Accepted as in torch.nn; holds no parameters.
        dilation: Accepted as in torch.nn; holds no parameters.
        groups: Channel groups; ``in_channels`` for a depthwise convolution.
        bias: ``True``/``False``, or ``None`` to follow the convention (none in
            ``paper``, one vector in ``keras`` and ``pytorch``).

    Example:
        >>> from symcount.layers import Conv1d
        >>> Conv1d(16, 32, 3).count("pytorch")
        1568
    """

    kind: ClassVar[str] = "Conv1d"
    dims: ClassVar[int] = 1


@dataclass(frozen=True)
class Conv2d(_Conv):
    """A 2-D convolution: weight ``(out, in/groups, kh, kw)`` and one bias per filter.

    Args:
        in_channels: Input channels; ``None`` to infer them.
        out_channels: Filters.
        kernel_size: One size for a square filter or ``(kh, kw)``.
        stride: Accepted as in torch.nn; holds no parameters.
        padding: Accepted as in torch.nn; holds no parameters.
        dilation: Accepted as in torch.nn; holds no parameters.
        groups: Channel groups; ``in_channels`` for a depthwise convolution.
        bias: ``True``/``False``, or ``None`` to follow the convention.

    Example:
        >>> from symcount.layers import Conv2d
        >>> from symcount.symbols import dimension
        >>> c = dimension("c")
        >>> Conv2d(c, 2 * c, 3).count()
        18*c**2
        >>> Conv2d(c, c, 3, groups=c).count("pytorch")  # depthwise
        10*c
    """

    kind: ClassVar[str] = "Conv2d"


@dataclass(frozen=True)
class ConvTranspose2d(_Conv):
    """A transposed 2-D convolution: weight ``(in, out/groups, kh, kw)``.

    Takes the arguments of :class:`Conv2d` plus ``output_padding``, which
    holds no parameters. torch.nn stores the weight input channels first.

    Example:
        >>> from symcount.layers import ConvTranspose2d
        >>> ConvTranspose2d(4, 6, (3, 2), groups=2).count("pytorch")
        78
    """

    kind: ClassVar[str] = "ConvTranspose2d"

    output_padding: tuple[int, ...] = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "output_padding", _spacing(
            self.output_padding, "output_padding", layer=self.kind, length=2,
            minimum=0))

    def weight_shape(self) -> tuple[sympy.Expr, ...]:
        outputs = self.out_channels / self.groups
        return (self._require_input(), outputs, *self.kernel_size)


@dataclass(frozen=True)
class Flatten(Layer):
    """A ``channels x height x width`` feature map read as one vector; no parameters.

    Stands for the pooling to a fixed ``height x width`` and ``torch.nn.Flatten``
    that sit between the last convolution and the first ``Linear``.

    Args:
        channels: Channels of the feature map; ``None`` to infer them.
        height: Rows of the pooled map.
        width: Columns of the pooled map.

    Example:
        >>> from symcount.layers import Flatten
        >>> Flatten(256, 6, 6).output_dim
        9216
    """

    kind: ClassVar[str] = "Flatten"
    input_field: ClassVar[str | None] = "channels"

    channels: sympy.Expr | None
    height: sympy.Expr = sympy.Integer(1)
    width: sympy.Expr = sympy.Integer(1)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "channels", size(self.channels, "channels", layer=self.kind,
                                    optional=True))
        for field in ("height", "width"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind))

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input() * self.height * self.width

    def tensors(self, convention: Convention | str = Convention.PAPER):
        return ()
