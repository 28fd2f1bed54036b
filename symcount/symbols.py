"""Dimension symbols, the glossary of symcount's words, and value substitution.

Glossary:
    layer: one parameter-holding building block (``Linear``, ``LSTM``, ...).
    network: layers as nodes of a directed acyclic graph; edges carry data.
    dimension symbol: a positive integer SymPy symbol such as ``d_model``.
    parameter count: a SymPy expression over dimension symbols.
    derivation: a data file in ``derivations/`` that describes one paper.
    report: the LaTeX proof document rendered from a derivation.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from symcount.errors import InputError

__all__ = [
    "L",
    "as_expr",
    "V_src",
    "V_tgt",
    "d",
    "d_model",
    "dimension",
    "n",
    "resolve_values",
    "substitute",
]


def dimension(name: str) -> sympy.Symbol:
    """Returns the dimension symbol called ``name``: a positive integer.

    Two calls with the same name return equal symbols, so a symbol built here
    matches one built by the derivation loader.

    Example:
        >>> from symcount.symbols import dimension
        >>> d = dimension("d")
        >>> (d.is_integer, d.is_positive)
        (True, True)
    """
    if not name.isidentifier():
        raise InputError(
            f"symbol name {name!r} is not valid; use letters, digits and '_', "
            "not starting with a digit"
        )
    return sympy.Symbol(name, integer=True, positive=True)


def as_expr(value: object, where: str) -> sympy.Expr:
    """Converts an int or a SymPy expression to ``sympy.Expr``; refuses the rest.

    Strings are refused on purpose: ``sympy.sympify`` would evaluate them as
    Python. Parse user text with :func:`symcount.expressions.parse_expression`.

    Args:
        value: The value to convert.
        where: What the value is, for the error message, e.g. ``"hidden_size"``.

    Raises:
        TypeError: If ``value`` is a string, a bool, a float or another type.

    Example:
        >>> from symcount.symbols import as_expr
        >>> as_expr(1000, "d")
        1000
    """
    if isinstance(value, sympy.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    raise TypeError(
        f"{where}: expected an int or a SymPy expression, got "
        f"{type(value).__name__} {value!r}"
    )


V_src = dimension("V_src")
V_tgt = dimension("V_tgt")
d = dimension("d")
n = dimension("n")
L = dimension("L")
d_model = dimension("d_model")


def resolve_values(
    values: Mapping[sympy.Symbol, sympy.Expr],
) -> dict[sympy.Symbol, sympy.Expr]:
    """Resolves values that refer to other symbols, e.g. ``n = d`` and ``d = 1000``.

    Args:
        values: Symbol to value; a value may be a number or an expression over
            other symbols.

    Returns:
        The same keys, each value rewritten until it refers to no key.

    Raises:
        InputError: If the values refer to each other in a loop.

    Example:
        >>> from symcount.symbols import d, n, resolve_values
        >>> resolve_values({n: d, d: 1000})[n]
        1000
    """
    resolved: dict[sympy.Symbol, sympy.Expr] = {}

    def visit(symbol: sympy.Symbol, trail: tuple[sympy.Symbol, ...]) -> sympy.Expr:
        if symbol in resolved:
            return resolved[symbol]
        if symbol in trail:
            loop = " -> ".join(str(s) for s in (*trail, symbol))
            raise InputError(f"values refer to each other in a loop: {loop}")
        value = as_expr(values[symbol], f"value of {symbol}")
        inner = {
            s: visit(s, (*trail, symbol)) for s in value.free_symbols if s in values
        }
        resolved[symbol] = value.xreplace(inner) if inner else value
        return resolved[symbol]

    for symbol in values:
        visit(symbol, ())
    return resolved


def substitute(
    expr: sympy.Expr, values: Mapping[sympy.Symbol, sympy.Expr]
) -> sympy.Expr:
    """Substitutes ``values`` (resolved first) into ``expr`` and expands.

    Example:
        >>> from symcount.symbols import d, n, substitute
        >>> substitute(4 * n * (d + n), {n: d, d: 10})
        800
    """
    resolved = resolve_values(values)
    return sympy.expand(as_expr(expr, "expression").xreplace(resolved))
