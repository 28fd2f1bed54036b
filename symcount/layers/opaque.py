"""Tensors of a module symcount has no kind for, kept by their names and shapes.

An imported model may hold modules that no layer kind describes (a custom
gate, a learned temperature, a ``torch.nn.Bilinear``). Their parameters are
still parameters: an ``Opaque`` layer keeps each tensor's name and shape, so it
counts exactly what the module holds, without equations. It has no known
input or output size, so nothing is inferred through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import sympy

from symcount.conventions import Convention
from symcount.errors import InputError, ShapeMismatchError
from symcount.layers.base import Layer, Tensor, size

__all__ = ["Opaque"]

_NAME = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


@dataclass(frozen=True)
class Opaque(Layer):
    """Named tensors of given shapes, counted as they are; no equations.

    Args:
        names: The tensors' names as the module gives them, e.g. ``weight``.
        shapes: One shape per name, outermost size first; ``()`` for a scalar.
            Sizes are numbers or expressions over dimension symbols.
        module: The class of the module they come from, for reports.

    Raises:
        InputError: If names repeat, are not dotted names, or do not pair up
            with the shapes, or a size is not positive.

    Example:
        >>> from symcount.layers import Opaque
        >>> layer = Opaque(("weight", "bias"), ((3, 5, 7), (3,)), "Bilinear")
        >>> layer.count(), [t.name for t in layer.tensors()]
        (108, ['weight', 'bias'])
    """

    kind: ClassVar[str] = "Opaque"

    names: tuple[str, ...]
    shapes: tuple[tuple[sympy.Expr, ...], ...]
    module: str = ""

    def __post_init__(self) -> None:
        names, shapes = self.names, self.shapes
        if not isinstance(names, tuple | list) or not isinstance(
            shapes, tuple | list
        ):
            raise InputError(
                "Opaque: names and shapes are lists, one shape per name"
            )
        if len(names) != len(shapes) or not names:
            raise InputError(
                f"Opaque: {len(names)} names and {len(shapes)} shapes; "
                "give one shape per name, at least one tensor"
            )
        for name in names:
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise InputError(
                    f"Opaque: tensor name {name!r} is not accepted; "
                    "names are letters, digits and '_', joined by '.'"
                )
        if len(set(names)) != len(names):
            raise InputError(f"Opaque: tensor names repeat: {', '.join(names)}")
        if not isinstance(self.module, str):
            raise InputError(f"Opaque: module={self.module!r} is not text")
        checked = []
        for name, shape in zip(names, shapes, strict=True):
            if not isinstance(shape, tuple | list):
                raise InputError(
                    f"Opaque: the shape of {name!r} is not a list of sizes"
                )
            checked.append(
                tuple(
                    size(s, f"shape of {name}", layer=self.kind) for s in shape
                )
            )
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "shapes", tuple(checked))

    @property
    def output_dim(self) -> sympy.Expr:
        raise ShapeMismatchError(
            "Opaque: its output size is unknown; a node after it must not infer "
            "its input size from it"
        )

    def tensors(self, convention: Convention | str = Convention.PAPER):
        return tuple(
            Tensor(
                name,
                shape,
                role="bias" if "bias" in name.rpartition(".")[2] else "weight",
            )
            for name, shape in zip(self.names, self.shapes, strict=True)
        )
