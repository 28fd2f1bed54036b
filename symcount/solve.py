"""Solving a count for one unknown: which ``d`` gives the paper's 384M?

The count (or a subtotal) minus the target is a polynomial in the unknown once
every other symbol has its value. Its positive real roots are found exactly
(SymPy's real root isolation), and each is reported as an integer solution if
it is one, else by the integers on either side with their totals.

References:
    Sutskever, Vinyals & Le (2014), section 3.4: N(d) = 384M gives d = 1000.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy

from symcount.count import ParameterCount
from symcount.errors import UnsolvableError
from symcount.symbols import resolve_values

__all__ = ["Neighbour", "Solution", "solve_for"]


@dataclass(frozen=True)
class Neighbour:
    """An integer near a root that is not itself an integer, with its total."""

    value: int
    total: int

    def difference(self, target: int) -> int:
        return self.total - target


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve_for`.

    Attributes:
        symbol: The unknown.
        target: The number of parameters asked for.
        of: The subtotal solved (``total``, ``group:G``, ...).
        expression: The subtotal as a function of ``symbol`` alone.
        solutions: Positive integers that give exactly ``target``.
        roots: All positive real roots, as floats, for reference.
        neighbours: When no root is an integer, the integers on each side.
    """

    symbol: sympy.Symbol
    target: int
    of: str
    expression: sympy.Expr
    solutions: tuple[int, ...]
    roots: tuple[float, ...]
    neighbours: tuple[Neighbour, ...] = field(default=())

    @property
    def exact(self) -> bool:
        """Whether some positive integer gives exactly the target."""
        return bool(self.solutions)


def solve_for(
    count: ParameterCount,
    symbol: sympy.Symbol,
    target: int,
    values: Mapping[sympy.Symbol, sympy.Expr] | None = None,
    *,
    of: str = "total",
) -> Solution:
    """Solves ``count`` (or a subtotal) ``= target`` for ``symbol``.

    Args:
        count: A symbolic count.
        symbol: The unknown; any value it has in ``values`` is ignored.
        target: The number of parameters, e.g. ``parse_count("384M")``.
        values: Values of the other symbols; a value may name ``symbol``,
            as in ``{n: d}``, to tie it to the unknown.
        of: ``total``, ``group:G``, ``tag:T`` or ``node:N``.

    Returns:
        A :class:`Solution`.

    Raises:
        UnsolvableError: If other symbols lack values, the subtotal does not
            depend on ``symbol``, or it is not a polynomial in it.

    Example:
        >>> from symcount import count_parameters
        >>> from symcount.layers import LSTM
        >>> from symcount.solve import solve_for
        >>> from symcount.symbols import d, n
        >>> solve_for(count_parameters(LSTM(d, n)), n, 8_000_000, {d: 1000}).solutions
        (1000,)

    Notes:
        Sizes are positive integers, so only positive roots are reported.
    """
    others = {s: v for s, v in (values or {}).items() if s != symbol}
    expr = sympy.expand(count.subtotal(of).xreplace(resolve_values(others)))
    missing = expr.free_symbols - {symbol}
    if missing:
        names = ", ".join(sorted(str(s) for s in missing))
        raise UnsolvableError(f"to solve for {symbol}, give values for: {names}")
    if symbol not in expr.free_symbols:
        raise UnsolvableError(f"{of} of {count.name!r} does not depend on {symbol}")
    try:
        poly = sympy.Poly(expr - target, symbol)
    except sympy.PolynomialError:
        raise UnsolvableError(
            f"{of} is not a polynomial in {symbol}; only polynomial counts are "
            "solved yet"
        ) from None

    roots = [r for r in poly.real_roots() if r.is_positive]
    solutions = tuple(sorted(int(r) for r in roots if r.is_Integer))
    neighbours: list[Neighbour] = []
    if not solutions:
        for root in roots:
            low = math.floor(root.evalf(30))
            for value in (low, low + 1):
                if value >= 1 and value not in (n.value for n in neighbours):
                    total = int(expr.subs(symbol, value))
                    neighbours.append(Neighbour(value, total))
    return Solution(
        symbol=symbol,
        target=target,
        of=of,
        expression=expr,
        solutions=solutions,
        roots=tuple(float(r.evalf(20)) for r in roots),
        neighbours=tuple(neighbours),
    )
