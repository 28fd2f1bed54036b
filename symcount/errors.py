"""Defines the one exception family that symcount raises."""

from __future__ import annotations

__all__ = [
    "CycleError",
    "DerivationError",
    "ExpressionError",
    "InputError",
    "RenderError",
    "ShapeMismatchError",
    "SymcountError",
    "UnsolvableError",
    "UnsupportedLayerError",
]


class SymcountError(Exception):
    """Base class of every error symcount raises on purpose."""


class InputError(SymcountError, ValueError):
    """Input that can never be valid: a bad size, name, expression or file."""


class ExpressionError(InputError):
    """An expression string that the safe parser refuses."""


class DerivationError(InputError):
    """A derivation file that is malformed; the message names file, line and key.

    Args:
        message: What is wrong and what is accepted.
        path: The derivation file, if the error comes from one.
        line: The 1-based line of the offending key, when it can be located.
        key: The dotted key inside the file, e.g. ``layers.encoder.hidden_size``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "")
            where += ": "
        if self.key is not None:
            where += f"{self.key}: "
        return where + self.message


class CycleError(InputError):
    """A connection that would make the network cyclic."""


class ShapeMismatchError(InputError):
    """Sizes that disagree along an edge, in a tie, or that cannot be inferred.

    Args:
        message: What disagrees, with the sizes.
        edge: The edge ``(u, v)`` along which the sizes disagree, if one.
        node: The node whose size is missing or ambiguous, if one.
        block: The name of the repeated block that does not fit, if one.
    """

    def __init__(
        self,
        message: str,
        *,
        edge: tuple[str, str] | None = None,
        node: str | None = None,
        block: str | None = None,
    ) -> None:
        super().__init__(message)
        self.edge = edge
        self.node = node
        self.block = block


class RenderError(SymcountError):
    """A report that cannot be made: no TeX installed, TeX failed, or no access."""


class UnsolvableError(SymcountError):
    """An equation that symcount cannot solve for the requested symbol."""


class UnsupportedLayerError(SymcountError, NotImplementedError):
    """A layer option or kind that is valid but not yet supported."""
