"""Bias conventions: how many bias vectors a layer has when its ``bias`` is unset.

Papers usually write equations without biases, Keras gives every weight set one
bias vector, and PyTorch gives each recurrent layer two (``b_ih`` and ``b_hh``).
A layer's explicit ``bias=True`` or ``bias=False`` always wins over the convention;
the convention still decides how many vectors a recurrent layer's bias has.
"""

from __future__ import annotations

from enum import StrEnum, unique

from symcount.errors import InputError

__all__ = ["Convention"]


@unique
class Convention(StrEnum):
    """The bias convention a count follows.

    Example:
        >>> from symcount.conventions import Convention
        >>> Convention.parse("pytorch") is Convention.PYTORCH
        True
    """

    PAPER = "paper"
    KERAS = "keras"
    PYTORCH = "pytorch"

    @classmethod
    def parse(cls, value: str | Convention) -> Convention:
        """Converts a user string to a convention, listing the valid ones if bad."""
        if isinstance(value, Convention):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            accepted = ", ".join(c.value for c in cls)
            raise InputError(
                f"unknown convention {value!r}; accepted: {accepted}"
            ) from None

    def has_bias(self, bias: bool | None) -> bool:
        """Whether a layer whose ``bias`` argument is ``bias`` has biases."""
        if bias is not None:
            return bias
        return self is not Convention.PAPER
