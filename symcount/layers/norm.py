"""Normalisation layers, as ``torch.nn.LayerNorm``, ``RMSNorm``, ``BatchNorm1d``,
``BatchNorm2d`` and ``GroupNorm``.

A normalisation layer holds at most a gain (``weight``) and a shift (``bias``)
per feature. Batch normalisation also keeps running statistics: buffers that
are saved with the model but not trained, so they are reported apart from the
parameters (``buffers``), as torch.nn's ``named_buffers`` lists them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError
from symcount.layers.base import Layer, Tensor, flag, size

__all__ = ["BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm", "RMSNorm"]


@dataclass(frozen=True)
class _Normalized(Layer):
    """Shared by LayerNorm and RMSNorm: statistics over ``normalized_shape``."""

    input_field: ClassVar[str | None] = "normalized_shape"

    normalized_shape: tuple[sympy.Expr, ...] | None
    elementwise_affine: bool = True

    def __post_init__(self) -> None:
        shape = self.normalized_shape
        if shape is not None:
            shape = tuple(shape) if isinstance(shape, tuple | list) else (shape,)
            if not shape:
                raise InputError(f"{self.kind}: normalized_shape is empty")
            shape = tuple(size(s, "normalized_shape", layer=self.kind) for s in shape)
        object.__setattr__(self, "normalized_shape", shape)
        flag(self.elementwise_affine, "elementwise_affine", layer=self.kind)

    @property
    def input_dim(self) -> sympy.Expr | None:
        if self.normalized_shape is None:
            return None
        return sympy.Mul(*self.normalized_shape)

    def with_input_dim(self, value: sympy.Expr) -> Layer:
        return dataclasses.replace(self, normalized_shape=(value,))

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def shape(self) -> tuple[sympy.Expr, ...]:
        self._require_input()
        return self.normalized_shape


@dataclass(frozen=True)
class LayerNorm(_Normalized):
    """Layer normalisation: a gain and, with a bias, a shift per feature.

    Args:
        normalized_shape: The feature size (or a tuple of trailing sizes);
            ``None`` to infer it.
        elementwise_affine: Whether there is a gain (and a shift) at all.
        bias: Whether there is a shift; ``None`` follows the convention (none
            in ``paper``, one vector in ``keras`` and ``pytorch``).

    Example:
        >>> from symcount.layers import LayerNorm
        >>> from symcount.symbols import d_model
        >>> LayerNorm(d_model).count("pytorch")
        2*d_model
    """

    kind: ClassVar[str] = "LayerNorm"

    bias: bool | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        flag(self.bias, "bias", layer=self.kind, optional=True)

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        if not self.elementwise_affine:
            return ()
        tensors = [Tensor("weight", self.shape())]
        if convention.has_bias(self.bias):
            tensors.append(Tensor("bias", self.shape(), role="bias"))
        return tuple(tensors)


@dataclass(frozen=True)
class RMSNorm(_Normalized):
    """Root-mean-square normalisation: a gain per feature and no shift.

    Example:
        >>> from symcount.layers import RMSNorm
        >>> from symcount.symbols import d_model
        >>> RMSNorm(d_model).count("pytorch")
        d_model
    """

    kind: ClassVar[str] = "RMSNorm"

    def tensors(self, convention: Convention | str = Convention.PAPER):
        if not self.elementwise_affine:
            return ()
        return (Tensor("weight", self.shape()),)


@dataclass(frozen=True)
class _BatchNorm(Layer):
    """Batch normalisation over ``num_features`` channels."""

    input_field: ClassVar[str | None] = "num_features"

    num_features: sympy.Expr | None
    affine: bool = True
    track_running_stats: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_features", size(
            self.num_features, "num_features", layer=self.kind, optional=True))
        for field in ("affine", "track_running_stats"):
            flag(getattr(self, field), field, layer=self.kind)

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def tensors(self, convention: Convention | str = Convention.PAPER):
        if not self.affine:
            return ()
        channels = (self._require_input(),)
        return (Tensor("weight", channels), Tensor("bias", channels, role="bias"))

    def buffers(self, convention: Convention = Convention.PAPER):
        if not self.track_running_stats:
            return ()
        channels = (self._require_input(),)
        return (Tensor("running_mean", channels), Tensor("running_var", channels),
                Tensor("num_batches_tracked", ()))


@dataclass(frozen=True)
class BatchNorm1d(_BatchNorm):
    """Batch normalisation of vectors or sequences, as ``torch.nn.BatchNorm1d``.

    The gain and shift (``affine``) are parameters in every convention, as in
    torch.nn and Keras; the running mean, variance and batch counter are
    buffers.

    Example:
        >>> from symcount.layers import BatchNorm1d
        >>> layer = BatchNorm1d(64)
        >>> layer.count(), sum(t.numel for t in layer.buffers())
        (128, 129)
    """

    kind: ClassVar[str] = "BatchNorm1d"


@dataclass(frozen=True)
class BatchNorm2d(_BatchNorm):
    """Batch normalisation of feature maps, as ``torch.nn.BatchNorm2d``.

    Example:
        >>> from symcount.layers import BatchNorm2d
        >>> BatchNorm2d(64, affine=False).count()
        0
    """

    kind: ClassVar[str] = "BatchNorm2d"


@dataclass(frozen=True)
class GroupNorm(Layer):
    """Group normalisation: statistics per group of channels, a gain and shift each.

    Args:
        num_groups: Groups; must divide ``num_channels``.
        num_channels: Channels; ``None`` to infer them.
        affine: Whether there is a gain (and a shift) per channel.
        bias: Whether there is a shift; ``None`` follows the convention.

    Example:
        >>> from symcount.layers import GroupNorm
        >>> GroupNorm(32, 256).count("pytorch")
        512
    """

    kind: ClassVar[str] = "GroupNorm"
    input_field: ClassVar[str | None] = "num_channels"

    num_groups: sympy.Expr
    num_channels: sympy.Expr | None
    affine: bool = True
    bias: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "num_groups", size(self.num_groups, "num_groups", layer=self.kind))
        set_(self, "num_channels", size(self.num_channels, "num_channels",
                                        layer=self.kind, optional=True))
        flag(self.affine, "affine", layer=self.kind)
        flag(self.bias, "bias", layer=self.kind, optional=True)
        channels, groups = self.num_channels, self.num_groups
        if channels is not None and channels.is_number and groups.is_number \
                and channels % groups != 0:
            raise InputError(f"GroupNorm: num_channels={channels} is not divisible "
                             f"by num_groups={groups}, as torch.nn requires")

    @property
    def output_dim(self) -> sympy.Expr:
        return self._require_input()

    def tensors(self, convention: Convention | str = Convention.PAPER):
        convention = Convention.parse(convention)
        if not self.affine:
            return ()
        channels = (self._require_input(),)
        tensors = [Tensor("weight", channels)]
        if convention.has_bias(self.bias):
            tensors.append(Tensor("bias", channels, role="bias"))
        return tuple(tensors)
