"""Solving a count for unknowns: which ``d`` gives the paper's 384M?

Once every other symbol has its value, a count (or a subtotal) is a polynomial
in the unknown. Its real roots are isolated exactly by SymPy, so answers are
exact integers, never floating-point guesses:

- :func:`solve_for`: the positive integers with ``N(x) = target``; if none,
  the integers on either side; and every ``x`` whose count prints as the
  target at its rounding (117M printed means [116.5M, 117.5M)).
- :func:`maximize`: the largest ``x`` (optionally a multiple of ``k``) with
  ``N(x) <= budget``.
- :func:`solve_system`: two or more unknowns from as many targets, e.g. the
  total and the recurrent subtotal.

References:
    Sutskever, Vinyals & Le (2014), section 3.4: N(d) = 384M gives d = 1000.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from symcount.count import ParameterCount
from symcount.errors import InputError, UnsolvableError
from symcount.symbols import resolve_values

__all__ = [
    "Budget",
    "Neighbour",
    "Solution",
    "SystemSolution",
    "integer_ranges",
    "maximize",
    "solve_for",
    "solve_system",
]

Range = tuple[int, int | None]
"""Integers ``start`` to ``stop`` inclusive; ``stop`` is ``None`` if unbounded."""


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
        rounding: The unit the target was printed to (1 if exact).
        ranges: The integers whose count rounds to ``target`` at ``rounding``.
    """

    symbol: sympy.Symbol
    target: int
    of: str
    expression: sympy.Expr
    solutions: tuple[int, ...]
    roots: tuple[float, ...]
    neighbours: tuple[Neighbour, ...] = field(default=())
    rounding: int = 1
    ranges: tuple[Range, ...] = field(default=())

    @property
    def exact(self) -> bool:
        """Whether some positive integer gives exactly the target."""
        return bool(self.solutions)


@dataclass(frozen=True)
class Budget:
    """The answer of :func:`maximize`: the largest value within a budget.

    Attributes:
        symbol: The unknown.
        budget: The most parameters allowed.
        of: The subtotal bounded.
        expression: The subtotal as a function of ``symbol`` alone.
        multiple_of: The step the value had to be a multiple of.
        value: The largest allowed value.
        total: The subtotal at ``value``.
        next_total: The subtotal at the next multiple, which exceeds the budget.
    """

    symbol: sympy.Symbol
    budget: int
    of: str
    expression: sympy.Expr
    multiple_of: int
    value: int
    total: int
    next_total: int


@dataclass(frozen=True)
class SystemSolution:
    """The answer of :func:`solve_system`.

    Attributes:
        symbols: The unknowns.
        targets: ``(of, target)`` pairs, one equation each.
        equations: Each subtotal minus its target, in the unknowns alone.
        solutions: Positive integer solutions, one dict per solution.
        real: Positive real solutions as floats, when no integer one exists.
    """

    symbols: tuple[sympy.Symbol, ...]
    targets: tuple[tuple[str, int], ...]
    equations: tuple[sympy.Expr, ...]
    solutions: tuple[dict[sympy.Symbol, int], ...]
    real: tuple[dict[sympy.Symbol, float], ...]

    @property
    def exact(self) -> bool:
        return bool(self.solutions)


def _restrict(
    count: ParameterCount,
    unknowns: Sequence[sympy.Symbol],
    values: Mapping[sympy.Symbol, sympy.Expr] | None,
    of: str,
) -> sympy.Expr:
    """The subtotal ``of`` with every symbol but ``unknowns`` at its value."""
    others = {s: v for s, v in (values or {}).items() if s not in unknowns}
    expr = sympy.expand(count.subtotal(of).xreplace(resolve_values(others)))
    missing = expr.free_symbols - set(unknowns)
    if missing:
        names = ", ".join(sorted(str(s) for s in missing))
        wanted = ", ".join(str(s) for s in unknowns)
        raise UnsolvableError(f"to solve for {wanted}, give values for: {names}")
    for symbol in unknowns:
        if symbol not in expr.free_symbols:
            raise UnsolvableError(f"{of} of {count.name!r} does not depend on {symbol}")
    return expr


def _poly(expr: sympy.Expr, symbol: sympy.Symbol, of: str) -> sympy.Poly:
    try:
        return sympy.Poly(expr, symbol)
    except sympy.PolynomialError:
        raise UnsolvableError(
            f"{of} is not a polynomial in {symbol}; only polynomial counts are "
            "solved yet"
        ) from None


def _positive_roots(poly: sympy.Poly) -> list[sympy.Expr]:
    return [r for r in poly.real_roots() if r.is_positive]


def integer_ranges(
    expr: sympy.Expr,
    symbol: sympy.Symbol,
    low: int | None,
    high: int | None,
) -> tuple[Range, ...]:
    """The positive integers ``x`` with ``low <= expr(x) < high``, as ranges.

    Either bound may be ``None`` for no bound. The breakpoints are the exact
    real roots of ``expr - low`` and ``expr - high``; between two breakpoints
    membership cannot change, so one test per stretch decides it.

    Example:
        >>> from symcount.solve import integer_ranges
        >>> from symcount.symbols import d
        >>> integer_ranges(248000*d + 136000000, d, 383_500_000, 384_500_000)
        ((998, 1002),)
    """
    poly = _poly(expr, symbol, "the count")
    candidates = {1}
    for bound in (low, high):
        if bound is not None:
            for root in _positive_roots(poly - bound):
                floor = int(math.floor(root.evalf(30)))
                candidates.update(x for x in (floor, floor + 1) if x >= 1)

    def inside(x: int) -> bool:
        value = poly.eval(x)
        return (low is None or value >= low) and (high is None or value < high)

    points = sorted(candidates)
    ranges: list[list[int | None]] = []
    for i, x in enumerate(points):
        following = points[i + 1] if i + 1 < len(points) else None
        for start, stop in (
            (x, x),
            (x + 1, None if following is None else following - 1),
        ):
            if stop is not None and stop < start:
                continue
            if not inside(start):
                continue
            if ranges and ranges[-1][1] is not None and ranges[-1][1] + 1 == start:
                ranges[-1][1] = stop
            else:
                ranges.append([start, stop])
    return tuple((int(a), None if b is None else int(b)) for a, b in ranges)


def solve_for(
    count: ParameterCount,
    symbol: sympy.Symbol,
    target: int,
    values: Mapping[sympy.Symbol, sympy.Expr] | None = None,
    *,
    of: str = "total",
    rounding: int = 1,
) -> Solution:
    """Solves ``count`` (or a subtotal) ``= target`` for ``symbol``.

    Args:
        count: A symbolic count.
        symbol: The unknown; any value it has in ``values`` is ignored.
        target: The number of parameters, e.g. ``parse_count("384M")``.
        values: Values of the other symbols; a value may name ``symbol``,
            as in ``{n: d}``, to tie it to the unknown.
        of: ``total``, ``group:G``, ``tag:T`` or ``node:N``.
        rounding: The unit ``target`` was printed to, e.g. 10^6 for "117M";
            every ``x`` whose count rounds to ``target`` is reported in
            ``ranges``.

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
        >>> count = count_parameters(LSTM(d, n))
        >>> solve_for(count, n, 8_000_000, {d: 1000}).solutions
        (1000,)

    Notes:
        Sizes are positive integers, so only positive roots are reported.
    """
    expr = _restrict(count, [symbol], values, of)
    poly = _poly(expr - target, symbol, of)

    roots = _positive_roots(poly)
    solutions = tuple(sorted(int(r) for r in roots if r.is_Integer))
    neighbours: list[Neighbour] = []
    if not solutions:
        for root in roots:
            low = int(math.floor(root.evalf(30)))
            for value in (low, low + 1):
                if value >= 1 and value not in (n.value for n in neighbours):
                    total = int(expr.subs(symbol, value))
                    neighbours.append(Neighbour(value, total))
    half = sympy.Rational(rounding, 2)
    ranges = integer_ranges(
        expr, symbol, math.ceil(target - half), math.ceil(target + half)
    )
    return Solution(
        symbol=symbol,
        target=target,
        of=of,
        expression=expr,
        solutions=solutions,
        roots=tuple(float(r.evalf(20)) for r in roots),
        neighbours=tuple(neighbours),
        rounding=rounding,
        ranges=ranges,
    )


def maximize(
    count: ParameterCount,
    symbol: sympy.Symbol,
    budget: int,
    values: Mapping[sympy.Symbol, sympy.Expr] | None = None,
    *,
    of: str = "total",
    multiple_of: int = 1,
) -> Budget:
    """The largest ``symbol`` (a multiple of ``multiple_of``) within ``budget``.

    Raises:
        UnsolvableError: If no positive multiple fits, or the count stays
            within the budget however large ``symbol`` grows.

    Example:
        >>> from symcount import count_parameters
        >>> from symcount.layers import Linear
        >>> from symcount.solve import maximize
        >>> from symcount.symbols import d
        >>> count = count_parameters(Linear(d, d))
        >>> maximize(count, d, 1_000_000, multiple_of=64).value
        960
    """
    if multiple_of < 1:
        raise InputError(f"multiple_of={multiple_of} must be a positive integer")
    expr = _restrict(count, [symbol], values, of)
    ranges = integer_ranges(expr, symbol, None, budget + 1)
    for start, stop in reversed(ranges):
        if stop is None:
            raise UnsolvableError(
                f"{of} stays within {budget:,} however large {symbol} grows"
            )
        value = stop - stop % multiple_of
        if value >= max(start, 1):
            return Budget(
                symbol=symbol,
                budget=budget,
                of=of,
                expression=expr,
                multiple_of=multiple_of,
                value=value,
                total=int(expr.subs(symbol, value)),
                next_total=int(expr.subs(symbol, value + multiple_of)),
            )
    step = f" multiple of {multiple_of}" if multiple_of > 1 else ""
    raise UnsolvableError(f"no positive{step} {symbol} keeps {of} within {budget:,}")


def solve_system(
    count: ParameterCount,
    targets: Sequence[tuple[str, int]],
    symbols: Sequence[sympy.Symbol],
    values: Mapping[sympy.Symbol, sympy.Expr] | None = None,
) -> SystemSolution:
    """Solves one equation per target for as many unknowns.

    Args:
        count: A symbolic count.
        targets: ``(of, target)`` pairs, e.g. ``[("total", 384M),
            ("tag:recurrent", 64M)]``.
        symbols: The unknowns, as many as targets.
        values: Values of the other symbols.

    Raises:
        InputError: If the number of targets and unknowns differ.
        UnsolvableError: If SymPy finds no closed form for the system.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.evaluate import evaluate
        >>> from symcount.solve import solve_system
        >>> from symcount.symbols import d, n
        >>> result = evaluate(load_derivation("seq2seq"))
        >>> targets = [("total", 384_000_000), ("tag:recurrent", 64_000_000)]
        >>> solve_system(result.count, targets, [d, n], result.values).solutions
        ({d: 1000, n: 1000},)
    """
    if len(targets) != len(symbols) or not symbols:
        raise InputError(
            f"{len(targets)} targets for {len(symbols)} unknowns; give one target "
            "per unknown"
        )
    equations = []
    for of, target in targets:
        others = {s: v for s, v in (values or {}).items() if s not in symbols}
        expr = sympy.expand(count.subtotal(of).xreplace(resolve_values(others)))
        missing = expr.free_symbols - set(symbols)
        if missing:
            names = ", ".join(sorted(str(s) for s in missing))
            raise UnsolvableError(f"{of}: give values for: {names}")
        equations.append(expr - target)
    # Solve over the reals: SymPy would drop every non-integer solution of
    # integer symbols, and those are the ones that say how close a fit is.
    free = {s: sympy.Dummy(s.name) for s in symbols}
    try:
        found = sympy.solve(
            [e.xreplace(free) for e in equations], list(free.values()), dict=True
        )
    except (NotImplementedError, sympy.PolynomialError):
        raise UnsolvableError("no closed-form solution for this system") from None

    integers, reals = [], []
    for solution in found:
        if set(solution) != set(free.values()):
            continue
        numeric = {s: sympy.simplify(solution[free[s]]) for s in symbols}
        approx = [complex(v.evalf(30)) for v in numeric.values()]
        if not all(abs(z.imag) < 1e-9 and z.real > 0 for z in approx):
            continue
        if all(v.is_Integer for v in numeric.values()):
            integers.append({s: int(v) for s, v in numeric.items()})
        else:
            reals.append({s: float(v.evalf(20)) for s, v in numeric.items()})
    return SystemSolution(
        symbols=tuple(symbols),
        targets=tuple(targets),
        equations=tuple(equations),
        solutions=tuple(integers),
        real=tuple(reals),
    )
