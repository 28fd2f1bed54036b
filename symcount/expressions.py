"""The one safe parser for expression strings that reach symcount.

``sympy.sympify`` and ``parse_expr`` evaluate their input as Python, so no user
string is ever given to them. Instead, text is parsed by Python's ``ast`` module
and only a whitelist of node kinds is turned into SymPy objects: integer and
decimal numbers, declared symbol names, ``+ - * / // % ^ **``, parentheses and
the functions ``ceil``, ``floor``, ``max`` and ``min``. Size limits keep
``9^9^9^9`` or a megabyte of text from being computed at all.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping

import sympy

from symcount.errors import ExpressionError

__all__ = ["MAX_LENGTH", "parse_count", "parse_expression"]

MAX_LENGTH = 500
"""Longest expression string accepted, in characters."""

_MAX_DEPTH = 32
_MAX_NODES = 200
_MAX_EXPONENT = 64
_MAX_DIGITS = 40
_FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "ceil": sympy.ceiling,
    "floor": sympy.floor,
    "max": sympy.Max,
    "min": sympy.Min,
}
_BINARY: dict[type, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: sympy.floor(a / b),
    ast.Mod: lambda a, b: sympy.Mod(a, b),
}
_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_COUNT = re.compile(
    r"^(?P<number>\d[\d_,]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<suffix>[kKmMbBgGtT]?)$"
)


def parse_expression(
    text: str,
    symbols: Mapping[str, sympy.Symbol] | None = None,
    *,
    where: str = "expression",
) -> sympy.Expr:
    """Parses ``text`` into a SymPy expression without evaluating any Python.

    Args:
        text: The expression, e.g. ``"4*n*(d + n)"`` or ``"2^10"``.
        symbols: The declared symbols by name; any other name is refused.
        where: What the text is, for error messages (an option or a file key).

    Returns:
        The expression, with decimals kept exact as rationals.

    Raises:
        ExpressionError: If the text is not in the whitelist grammar, names an
            undeclared symbol, or exceeds a size limit.

    Example:
        >>> from symcount.expressions import parse_expression
        >>> from symcount.symbols import d, n
        >>> parse_expression("4*n*(d + n)", {"d": d, "n": n})
        4*n*(d + n)
    """
    if not isinstance(text, str):
        raise ExpressionError(f"{where}: expected text, got {type(text).__name__}")
    declared = dict(symbols or {})
    _check_text(text, where)
    try:
        # "^" means power, as in papers; Python's "**" has the precedence and
        # right-associativity of a power, while "^" (xor) binds looser than "+".
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ExpressionError(
            f"{where}: {_shorten(text)!r} is not an expression; accepted: numbers, "
            "symbols, + - * / ^, parentheses, ceil() floor() max() min()"
        ) from None
    _check_tree(tree, text, where)
    return _Builder(declared, where).build(tree.body)


def parse_count(text: str | int, *, where: str = "target") -> int:
    """Parses a parameter count such as ``384M``, ``1.5B``, ``384e6`` or ``384000000``.

    Suffixes: ``k`` (10^3), ``M`` (10^6), ``B`` or ``G`` (10^9), ``T`` (10^12).
    Commas and underscores between digits are ignored. Anything else goes
    through :func:`parse_expression` with no symbols (so ``2^30`` works).

    Raises:
        ExpressionError: If the text is not a count, or not a positive integer.

    Example:
        >>> from symcount.expressions import parse_count
        >>> parse_count("1.5B"), parse_count("384M"), parse_count("384e6")
        (1500000000, 384000000, 384000000)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value: sympy.Expr = sympy.Integer(text)
    elif isinstance(text, str):
        _check_text(text, where)
        match = _COUNT.match(text.strip())
        if match:
            number = match["number"].replace(",", "").replace("_", "")
            value = sympy.Rational(number) * _SUFFIXES[match["suffix"].lower()]
        else:
            value = parse_expression(text, {}, where=where)
    else:
        raise ExpressionError(f"{where}: expected a count, got {text!r}")
    if not (value.is_integer and value.is_positive):
        raise ExpressionError(
            f"{where}: {_shorten(str(text))!r} is not a positive whole number of "
            "parameters; accepted: 384000000, 384M, 1.5B, 384e6, 2^30"
        )
    return int(value)


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _check_text(text: str, where: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"{where}: expression of {len(text)} characters refused; "
            f"at most {MAX_LENGTH} are accepted"
        )
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise ExpressionError(
            f"{where}: character {bad!r} refused; expressions are plain ASCII "
            "(write * for multiplication, / for division)"
        )
    if not text.strip():
        raise ExpressionError(f"{where}: empty expression")


def _check_tree(tree: ast.AST, text: str, where: str) -> None:
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > _MAX_DEPTH or nodes > _MAX_NODES:
            raise ExpressionError(
                f"{where}: {_shorten(text)!r} is nested too deeply or too long; "
                f"at most {_MAX_DEPTH} levels and {_MAX_NODES} terms are accepted"
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Builder:
    """Turns a checked ``ast`` tree into SymPy, one whitelisted node kind at a time."""

    def __init__(self, symbols: Mapping[str, sympy.Symbol], where: str) -> None:
        self.symbols = symbols
        self.where = where

    def refuse(self, what: str) -> ExpressionError:
        return ExpressionError(
            f"{self.where}: {what} is not allowed; accepted: numbers, declared "
            "symbols, + - * / // % ^ **, parentheses, ceil() floor() max() min()"
        )

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(type(node).__name__.lower())

    def constant(self, value: object) -> sympy.Expr:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.refuse(f"the literal {value!r}")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.refuse(f"the literal {value!r}")
            text = repr(value)
            if abs(value) >= 10**_MAX_DIGITS:
                raise self.too_large(text)
            return sympy.Rational(text)
        if len(str(abs(value))) > _MAX_DIGITS:
            raise self.too_large(f"a {len(str(abs(value)))}-digit number")
        return sympy.Integer(value)

    def too_large(self, what: str) -> ExpressionError:
        return ExpressionError(
            f"{self.where}: {what} is too large; numbers of at most "
            f"{_MAX_DIGITS} digits are accepted"
        )

    def name(self, identifier: str) -> sympy.Expr:
        if identifier in self.symbols:
            return self.symbols[identifier]
        declared = ", ".join(sorted(self.symbols)) or "none"
        raise ExpressionError(
            f"{self.where}: unknown symbol {identifier!r}; declared symbols: {declared}"
        )

    def binary(self, node: ast.BinOp) -> sympy.Expr:
        left = self.build(node.left)
        right = self.build(node.right)
        if isinstance(node.op, ast.Pow):
            return self.power(left, right)
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise self.refuse(f"the operator {type(node.op).__name__}")
        if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
            raise ExpressionError(f"{self.where}: division by zero")
        return operation(left, right)

    def power(self, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if not (exponent.is_Integer and 0 <= exponent <= _MAX_EXPONENT):
            raise ExpressionError(
                f"{self.where}: exponent {exponent} refused; exponents are whole "
                f"numbers from 0 to {_MAX_EXPONENT}"
            )
        if base.is_Number and base != 0:
            digits = int(exponent) * math.log10(abs(float(base)) or 1.0)
            if digits > _MAX_DIGITS:
                raise self.too_large(f"{base}^{exponent}")
        return base ** int(exponent)

    def call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise self.refuse(f"calling {name!r}")
        if node.keywords or not node.args:
            raise self.refuse(f"{node.func.id}() without plain arguments")
        return _FUNCTIONS[node.func.id](*(self.build(arg) for arg in node.args))


def count_rounding(text: str | int) -> int:
    """The unit of the last digit a count is printed to: its rounding.

    A paper that prints "117M" rounds to millions, "1.5B" to hundreds of
    millions; a plain integer is exact.

    Example:
        >>> from symcount.expressions import count_rounding
        >>> count_rounding("117M"), count_rounding("1.5B"), count_rounding(42)
        (1000000, 100000000, 1)
    """
    if not isinstance(text, str):
        return 1
    match = re.fullmatch(r"\s*\d[\d_,]*(?:\.(\d+))?\s*([kKmMbBgGtT]?)\s*", text)
    if not match or not match[2]:
        return 1
    scale = _SUFFIXES[match[2].lower()]
    return max(scale // 10 ** len(match[1] or ""), 1)
