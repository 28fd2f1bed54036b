"""Explaining a count: which terms dominate, what each symbol costs, what differs.

For each symbol ``x`` this gives the dominant term of the count as ``x`` grows
(the others at their values), the marginal cost ``dN/dx`` (how many parameters
one more unit of ``x`` costs) and the elasticity ``(x/N) dN/dx`` (the percent
growth of ``N`` per percent of ``x``). It also ranks the terms of the expanded
count at the paper's values, each group's share, and the totals under every
convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symcount.conventions import Convention
from symcount.count import count_parameters
from symcount.evaluate import Evaluation
from symcount.symbols import resolve_values

__all__ = ["Effect", "Explanation", "Term", "explain"]


@dataclass(frozen=True)
class Effect:
    """How the count depends on one symbol, the others at their values.

    Attributes:
        symbol: The symbol.
        value: Its value.
        degree: The count's degree in the symbol.
        dominant: The leading term as the symbol grows (others symbolic).
        dominant_at_values: The leading term with the others at their values.
        derivative: ``dN/dx``, symbolic.
        marginal: ``dN/dx`` at the values: parameters per unit of ``x``.
        elasticity: ``(x / N) dN/dx`` at the values.
    """

    symbol: sympy.Symbol
    value: sympy.Expr
    degree: int
    dominant: sympy.Expr
    dominant_at_values: sympy.Expr
    derivative: sympy.Expr
    marginal: sympy.Expr
    elasticity: float


@dataclass(frozen=True)
class Term:
    """One monomial of the expanded count and its value."""

    expression: sympy.Expr
    value: int


@dataclass(frozen=True)
class Explanation:
    """The answer of :func:`explain`.

    Attributes:
        total: The count at the values.
        effects: One per symbol, in the derivation's order.
        terms: The expanded count's monomials, largest value first.
        groups: (group, value) pairs, largest first.
        conventions: (convention, total) for every convention.
    """

    total: int
    effects: tuple[Effect, ...]
    terms: tuple[Term, ...]
    groups: tuple[tuple[str, int], ...]
    conventions: tuple[tuple[Convention, int], ...]


def explain(result: Evaluation) -> Explanation:
    """Explains the count of an evaluated derivation at its values.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.evaluate import evaluate
        >>> from symcount.explain import explain
        >>> from symcount.symbols import d
        >>> answer = explain(evaluate(load_derivation("seq2seq")))
        >>> [e.marginal for e in answer.effects if e.symbol == d]
        [248000]
    """
    values = resolve_values(result.values)
    total = result.count.total
    at_values = int(total.xreplace(values))

    effects = []
    for info in result.derivation.symbols:
        x = info.symbol
        if x not in total.free_symbols or x not in values:
            continue
        poly = sympy.Poly(total, x)
        derivative = sympy.expand(sympy.diff(total, x))
        marginal = derivative.xreplace(values)
        others = {s: v for s, v in values.items() if s != x}
        leading = sympy.expand(poly.LC() * x ** poly.degree())
        effects.append(
            Effect(
                symbol=x,
                value=values[x],
                degree=poly.degree(),
                dominant=leading,
                dominant_at_values=sympy.expand(leading.xreplace(others)),
                derivative=derivative,
                marginal=marginal,
                elasticity=float(values[x] * marginal / at_values)
                if at_values
                else 0.0,
            )
        )

    terms = sorted(
        (Term(term, int(term.xreplace(values))) for term in sympy.Add.make_args(total)),
        key=lambda t: -abs(t.value),
    )
    groups = sorted(
        ((name, int(v)) for name, v in result.numbers.groups.items()),
        key=lambda item: -item[1],
    )
    conventions = tuple(
        (c, count_parameters(result.derivation.network, c).subs(values).value())
        for c in Convention
    )
    return Explanation(
        at_values, tuple(effects), tuple(terms), tuple(groups), conventions
    )
