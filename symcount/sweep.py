"""Sweeping a closed form over grids of values, exactly and fast.

The count is compiled once into a numpy function (``sympy.lambdify``) and
evaluated over the Cartesian product of the grids, chunk by chunk. Arithmetic
stays exact: int64 when a bound on every term shows the values fit in 2^62,
Python integers (numpy object arrays) when they might not.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from symcount.count import ParameterCount
from symcount.errors import InputError, UnsolvableError
from symcount.expressions import parse_count
from symcount.symbols import resolve_values

__all__ = ["Condition", "SweepResult", "parse_condition", "parse_grid", "sweep"]

_CHUNK = 1 << 18
_INT64_SAFE = 1 << 62
_OPERATORS: dict[str, Callable[[object, object], object]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_CONDITION = re.compile(r"^\s*([\w:.\-]+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Condition:
    """A filter such as ``total <= 1B``: a subtotal, an operator and a count."""

    of: str
    op: str
    value: int

    def test(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(_OPERATORS[self.op](values, self.value), dtype=bool)


def parse_grid(text: str, symbols: Mapping[str, sympy.Symbol]):
    """Parses ``SYM=START:STOP:STEP`` (STOP included) or ``SYM=A,B,C``.

    Returns:
        The symbol and a tuple of its values.

    Raises:
        InputError: If the form, the symbol or a value is wrong.

    Example:
        >>> from symcount.sweep import parse_grid
        >>> from symcount.symbols import d
        >>> parse_grid("d=256:1024:256", {"d": d})
        (d, (256, 512, 768, 1024))
    """
    where = f"--grid {text}"
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep:
        raise InputError(f"{where}: expected SYM=START:STOP:STEP or SYM=A,B,C")
    if name not in symbols:
        raise InputError(
            f"{where}: unknown symbol {name!r}; declared symbols: " + ", ".join(symbols)
        )
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise InputError(f"{where}: expected START:STOP or START:STOP:STEP")
        start, stop, *step = (parse_count(p, where=where) for p in parts)
        values = tuple(range(start, stop + 1, step[0] if step else 1))
    else:
        values = tuple(parse_count(p, where=where) for p in spec.split(","))
    if not values:
        raise InputError(f"{where}: the grid is empty")
    return symbols[name], values


def parse_condition(text: str) -> Condition:
    """Parses ``total<=1B`` or ``tag:recurrent < 64M`` into a :class:`Condition`.

    Example:
        >>> from symcount.sweep import parse_condition
        >>> parse_condition("total<=1B")
        Condition(of='total', op='<=', value=1000000000)
    """
    match = _CONDITION.match(text)
    if not match:
        raise InputError(
            f"--where {text}: expected SUBTOTAL OP COUNT, e.g. "
            "'total<=1B'; operators: " + " ".join(_OPERATORS)
        )
    return Condition(match[1], match[2], parse_count(match[3], where=f"--where {text}"))


@dataclass(frozen=True)
class SweepResult:
    """The rows of a sweep that passed every condition.

    Attributes:
        columns: Column names: the swept symbols, then the subtotals.
        data: One array per column, all of the same length.
        points: How many grid points were evaluated.
    """

    columns: tuple[str, ...]
    data: tuple[np.ndarray, ...]
    points: int

    def __len__(self) -> int:
        return len(self.data[0]) if self.data else 0

    def rows(self) -> Iterator[tuple[int, ...]]:
        """The rows as tuples of Python ints."""
        yield from zip(*(column.tolist() for column in self.data), strict=True)


def _compile(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], bound: int):
    """An exact vectorised evaluator of polynomial ``expr`` and its dtype."""
    try:
        poly = sympy.Poly(expr, *symbols)
    except sympy.PolynomialError:
        raise UnsolvableError(
            "sweeps need a polynomial count; this one is not yet supported"
        ) from None
    denominator = math.lcm(*(int(sympy.fraction(c)[1]) for c in poly.coeffs()))
    scaled = sympy.expand(expr * denominator)
    terms = sympy.Poly(scaled, *symbols).terms()
    safe = sum(abs(int(c)) * bound ** sum(m) for m, c in terms)
    dtype = np.int64 if safe < _INT64_SAFE else object
    function = sympy.lambdify(symbols, scaled, modules="numpy")
    return function, denominator, dtype


def sweep(
    count: ParameterCount,
    grids: Mapping[sympy.Symbol, Sequence[int]],
    values: Mapping[sympy.Symbol, sympy.Expr] | None = None,
    *,
    of: Sequence[str] = ("total",),
    where: Sequence[Condition] = (),
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Evaluates subtotals over the Cartesian product of ``grids``.

    Args:
        count: A symbolic count.
        grids: Values for each swept symbol.
        values: Values of the other symbols (the swept ones are ignored).
        of: The subtotals to compute, as columns.
        where: Conditions every returned row satisfies.
        progress: Called with (points done, points in all) after each chunk.

    Raises:
        UnsolvableError: If a symbol has no value and is not swept.

    Example:
        >>> from symcount import count_parameters
        >>> from symcount.layers import Linear
        >>> from symcount.sweep import sweep
        >>> from symcount.symbols import d, n
        >>> result = sweep(count_parameters(Linear(d, n)), {d: [2, 3], n: [10]})
        >>> list(result.rows())
        [(2, 10, 20), (3, 10, 30)]
    """
    swept = list(grids)
    others = {s: v for s, v in (values or {}).items() if s not in grids}
    resolved = resolve_values(others)
    arrays = [np.asarray(grids[s], dtype=object) for s in swept]
    bound = max(max(abs(int(v)) for v in grid) for grid in arrays) if arrays else 1
    wanted = list(dict.fromkeys([*of, *(c.of for c in where)]))
    compiled = {}
    for name in wanted:
        expr = sympy.expand(count.subtotal(name).xreplace(resolved))
        missing = expr.free_symbols - set(swept)
        if missing:
            names = ", ".join(sorted(str(s) for s in missing))
            raise UnsolvableError(f"{name}: sweep or give values for: {names}")
        compiled[name] = _compile(expr, swept, bound)

    shape = tuple(len(a) for a in arrays)
    points = math.prod(shape)
    kept: dict[str, list[np.ndarray]] = {c: [] for c in [*map(str, swept), *of]}
    exact = object if any(c[2] is object for c in compiled.values()) else np.int64
    for start in range(0, points, _CHUNK):
        flat = np.arange(start, min(start + _CHUNK, points))
        index = np.unravel_index(flat, shape)
        coordinates = {
            symbol: grid[i].astype(exact)
            for symbol, grid, i in zip(swept, arrays, index, strict=True)
        }
        columns = {}
        for name, (function, denominator, _) in compiled.items():
            raw = function(*(coordinates[s] for s in swept))
            columns[name] = np.broadcast_to(raw, flat.shape) // denominator
        mask = np.ones(flat.shape, dtype=bool)
        for condition in where:
            mask &= condition.test(columns[condition.of])
        for symbol in swept:
            kept[str(symbol)].append(coordinates[symbol][mask])
        for name in of:
            kept[name].append(columns[name][mask])
        if progress is not None:
            progress(flat[-1] + 1, points)

    data = tuple(
        np.concatenate(parts) if parts else np.array([], dtype=np.int64)
        for parts in kept.values()
    )
    return SweepResult(tuple(kept), data, points)
