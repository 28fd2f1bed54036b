"""Evaluating a derivation: count it, put in the paper's values, check its claims.

A claim holds when the derived number rounds to the printed one at the paper's
rounding: "384M" holds for every count in [383.5M, 384.5M).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy

from symcount.conventions import Convention
from symcount.count import ParameterCount, count_parameters
from symcount.derivation import Claim, Derivation
from symcount.errors import InputError

__all__ = ["ClaimCheck", "Evaluation", "check_claim", "evaluate"]


@dataclass(frozen=True)
class ClaimCheck:
    """A claim next to the derived number.

    Attributes:
        claim: The paper's claim.
        derived: The derived number of parameters.
        holds: Whether ``derived`` rounds to the claim's value.
        gap: ``derived - claim.value``.
    """

    claim: Claim
    derived: int
    holds: bool

    @property
    def gap(self) -> int:
        return self.derived - self.claim.value

    @property
    def status(self) -> str:
        """``holds``, ``differs`` (a gap the derivation explains) or ``fails``."""
        if self.holds:
            return "holds"
        return "differs" if self.claim.note else "fails"


def check_claim(claim: Claim, derived: int) -> ClaimCheck:
    """Checks ``derived`` against ``claim`` at the claim's rounding.

    Example:
        >>> from symcount.derivation import Claim
        >>> from symcount.evaluate import check_claim
        >>> claim = Claim("total", "total", "", 384_000_000, 1_000_000)
        >>> check_claim(claim, 384_144_000).holds
        True
    """
    half = sympy.Rational(claim.rounding, 2)
    holds = claim.value - half <= derived < claim.value + half
    return ClaimCheck(claim, derived, bool(holds))


@dataclass(frozen=True)
class Evaluation:
    """A derivation counted under one convention and one set of values.

    Attributes:
        derivation: What was evaluated.
        convention: The convention in force.
        values: Every value in force: the paper's, overridden by the user's.
        count: The symbolic count.
        numbers: The count with ``values`` substituted.
        claims: Each claim checked.
    """

    derivation: Derivation
    convention: Convention
    values: Mapping[sympy.Symbol, sympy.Expr]
    count: ParameterCount
    numbers: ParameterCount
    claims: tuple[ClaimCheck, ...]


def evaluate(
    derivation: Derivation,
    convention: Convention | str | None = None,
    overrides: Mapping[sympy.Symbol, sympy.Expr] | None = None,
) -> Evaluation:
    """Counts ``derivation`` and checks its claims.

    Args:
        derivation: A loaded derivation.
        convention: ``None`` for the derivation's own.
        overrides: Values replacing the paper's; a value may name other symbols.

    Raises:
        InputError: If an override is not a declared symbol, or the values
            make a value or a stated size other than a positive integer.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.evaluate import evaluate
        >>> result = evaluate(load_derivation("seq2seq"), "pytorch")
        >>> result.numbers.value()
        384144000
    """
    convention = Convention.parse(convention or derivation.convention)
    declared = set(derivation.symbol_table.values())
    for symbol in overrides or {}:
        if symbol not in declared:
            names = ", ".join(derivation.symbol_table)
            raise InputError(f"unknown symbol {symbol}; declared symbols: {names}")
    values = {**derivation.values, **(overrides or {})}
    derivation.check_values(overrides)

    count = count_parameters(derivation.network, convention)
    numbers = count.subs(values)
    counted = {convention: numbers}  # one count per convention the claims use
    checks = []
    for claim in derivation.claims:
        under = claim.convention or convention
        if under not in counted:
            counted[under] = count_parameters(derivation.network, under).subs(values)
        checks.append(check_claim(claim, counted[under].value(claim.of)))
    return Evaluation(derivation, convention, MappingProxyType(values), count,
                      numbers, tuple(checks))
