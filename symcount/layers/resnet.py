"""The residual bottleneck block of ResNet-50/101/152, as torchvision builds it.

``1x1`` convolution to ``width``, ``3x3`` convolution, ``1x1`` convolution to
``4 * planes``, each followed by batch normalisation; the shortcut adds the
input, through a ``1x1`` convolution and batch norm (``downsample``) when the
shape changes. The convolutions have no bias, in every convention, as the batch
norm after each one has a shift.

References:
    He, Zhang, Ren & Sun (2016), "Deep Residual Learning for Image
    Recognition", section 3.3 and Table 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.layers.base import Composite, Layer, flag, size
from symcount.layers.conv import Conv2d
from symcount.layers.norm import BatchNorm2d

__all__ = ["Bottleneck"]


@dataclass(frozen=True)
class Bottleneck(Composite):
    """A bottleneck block with torchvision's argument and tensor names.

    Args:
        inplanes: Input channels; ``None`` to infer them.
        planes: Channels of the ``3x3`` convolution; the block outputs
            ``4 * planes``.
        stride: Stride of the ``3x3`` convolution; holds no parameters.
        downsample: Whether the shortcut has a ``1x1`` convolution and batch
            norm (the first block of each stage).
        groups: Groups of the ``3x3`` convolution (ResNeXt).
        base_width: Width per group (64 for ResNet; 128 for Wide ResNet-50-2).

    Example:
        >>> from symcount.layers import Bottleneck
        >>> Bottleneck(256, 64).count()
        70400
    """

    kind: ClassVar[str] = "Bottleneck"
    input_field: ClassVar[str | None] = "inplanes"
    expansion: ClassVar[int] = 4

    inplanes: sympy.Expr | None
    planes: sympy.Expr
    stride: int = 1
    downsample: bool = False
    groups: sympy.Expr = sympy.Integer(1)
    base_width: sympy.Expr = sympy.Integer(64)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "inplanes", size(self.inplanes, "inplanes", layer=self.kind,
                                    optional=True))
        for field in ("planes", "groups", "base_width"):
            set_(self, field, size(getattr(self, field), field, layer=self.kind))
        set_(self, "stride", size(self.stride, "stride", layer=self.kind))
        flag(self.downsample, "downsample", layer=self.kind)

    @property
    def width(self) -> sympy.Expr:
        """Channels inside the block: ``floor(planes * base_width / 64) * groups``."""
        return sympy.floor(self.planes * self.base_width / 64) * self.groups

    @property
    def output_dim(self) -> sympy.Expr:
        return self.expansion * self.planes

    def sublayers(self) -> dict[str, Layer]:
        width, out = self.width, self.output_dim
        layers: dict[str, Layer] = {
            "conv1": Conv2d(self._require_input(), width, 1, bias=False),
            "bn1": BatchNorm2d(width),
            "conv2": Conv2d(width, width, 3, groups=self.groups, bias=False),
            "bn2": BatchNorm2d(width),
            "conv3": Conv2d(width, out, 1, bias=False),
            "bn3": BatchNorm2d(out),
        }
        if self.downsample:
            layers["downsample.0"] = Conv2d(self._require_input(), out, 1,
                                            bias=False)
            layers["downsample.1"] = BatchNorm2d(out)
        return layers
