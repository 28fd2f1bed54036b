"""The one safe parser for expression strings that reach symcount.

``sympy.sympify`` and ``parse_expr`` evaluate their input as Python, so no user
string is ever given to them. Instead, text is parsed by Python's ``ast`` module
(which only reads it) and checked in two passes. The first pass, in plain
Python, accepts a whitelist of node kinds: decimal numbers, declared symbol
names, ``+ - * / // % ^ **``, parentheses and the functions ``ceil``, ``floor``,
``max`` and ``min``. It also bounds every number, exponent and the size of the
expression once multiplied out, so ``9^9^9^9`` or a megabyte of text is refused
before anything is computed. Only then is the tree turned into SymPy objects.

Limits (module constants): ``MAX_LENGTH`` characters, ``MAX_DIGITS`` digits per
number (numerator and denominator), exponents from 0 to ``MAX_EXPONENT``,
polynomial degree ``MAX_DEGREE`` and ``MAX_TERMS`` terms once expanded, at most
32 levels of nesting, 200 syntax nodes and 8 arguments to ``max``/``min``.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from symcount.errors import ExpressionError

if TYPE_CHECKING:
    import sympy

__all__ = [
    "MAX_DEGREE",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_TERMS",
    "count_rounding",
    "parse_count",
    "parse_expression",
]

MAX_LENGTH = 500
"""Longest expression string accepted, in characters."""

MAX_DIGITS = 40
"""Most digits in any number, also in a numerator or denominator met on the way."""

MAX_EXPONENT = 64
"""Largest exponent of ``^``; exponents are whole numbers from 0."""

MAX_DEGREE = 8
"""Highest polynomial degree of an expression over symbols (``d^2*n`` has 3)."""

MAX_TERMS = 64
"""Most terms an expression may have once multiplied out (``(d+n)^2`` has 4)."""

_MAX_DEPTH = 32
_MAX_NODES = 200
_MAX_ARGUMENTS = 8
_LARGEST = 10**MAX_DIGITS
_ACCEPTED = (
    "accepted: numbers, declared symbols, + - * / // % ^ **, parentheses, "
    "ceil() floor() max() min()"
)
_ACCEPTED_COUNTS = (
    "accepted: counts such as 384000000, 384M, 1.5B, 384e6 or 2^30"
)
_FUNCTIONS = ("ceil", "floor", "max", "min")
_OPERATORS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "^",
}
_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_COUNT = re.compile(
    r"(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+)?)"
    r"(?:[eE](?P<exponent>[+-]?\d+))?\s*(?P<suffix>[kKmMbBgGtT]?)"
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
    declared = dict(symbols or {})
    tree = _parse(text, where)
    _Checker(set(declared), text, where).check(tree.body)
    return _Builder(declared, where).build(tree.body)


def parse_count(text: str | int, *, where: str = "target") -> int:
    """Parses a parameter count such as ``384M``, ``1.5B``, ``384e6`` or ``384000000``.

    Suffixes: ``k`` (10^3), ``M`` (10^6), ``B`` or ``G`` (10^9), ``T`` (10^12).
    Digits may be grouped as ``384,000,000`` or ``384_000_000``. Anything else
    goes through the expression grammar with no symbols (so ``2^30`` works).
    No SymPy is involved, so a refusal is immediate.

    Raises:
        ExpressionError: If the text is not a count, or not a positive integer.

    Example:
        >>> from symcount.expressions import parse_count
        >>> parse_count("1.5B"), parse_count("384M"), parse_count("384e6")
        (1500000000, 384000000, 384000000)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = Fraction(text)
        if abs(value) >= _LARGEST:
            raise _too_large(where, f"a {len(str(abs(text)))}-digit number")
    elif isinstance(text, str):
        match = (
            _COUNT.fullmatch(text.strip()) if len(text) <= MAX_LENGTH else None
        )
        if match:
            value = _count_value(match, where)
        else:
            tree = _parse(text, where, _ACCEPTED_COUNTS)
            shape = _Checker(set(), text, where, _ACCEPTED_COUNTS).check(
                tree.body
            )
            assert shape.value is not None  # no symbols, so the value is known
            value = shape.value
    else:
        raise ExpressionError(
            f"{where}: expected a count such as 384M, got {_describe(text)}"
        )
    if value.denominator != 1 or value <= 0:
        raise ExpressionError(
            f"{where}: {_shorten(str(text))!r} is not a positive whole number of "
            f"parameters; {_ACCEPTED_COUNTS}"
        )
    return int(value)


def _count_value(match: re.Match[str], where: str) -> Fraction:
    exponent = int(match["exponent"] or 0)
    if abs(exponent) > MAX_DIGITS:
        raise _too_large(where, f"10^{match['exponent']}")
    number = Fraction(match["number"].replace(",", "").replace("_", ""))
    value = (
        number * Fraction(10) ** exponent * _SUFFIXES[match["suffix"].lower()]
    )
    if value.numerator >= _LARGEST or value.denominator >= _LARGEST:
        raise _too_large(where, _shorten(match[0]))
    return value


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: object) -> str:
    return f"{type(value).__name__} {_shorten(repr(value))}"


def _too_large(where: str, what: str) -> ExpressionError:
    return ExpressionError(
        f"{where}: {what} has more than {MAX_DIGITS} digits; numbers of at most "
        f"{MAX_DIGITS} digits (numerator and denominator) are accepted"
    )


def _parse(
    text: object, where: str, accepted: str = _ACCEPTED
) -> ast.Expression:
    """Checks the raw text, then lets ``ast`` read it (reading runs no code)."""
    if not isinstance(text, str):
        raise ExpressionError(f"{where}: expected text, got {_describe(text)}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"{where}: expression of {len(text)} characters refused; "
            f"at most {MAX_LENGTH} are accepted"
        )
    for char in text:
        if not char.isascii():
            raise ExpressionError(
                f"{where}: character {char!r} (U+{ord(char):04X}) refused; "
                "expressions are plain ASCII (write * for multiplication, "
                "/ for division)"
            )
        if not char.isprintable() or char == "#":
            raise ExpressionError(
                f"{where}: character {char!r} refused; an expression is one line "
                "of ASCII letters, digits, spaces and + - * / % ^ ( ) . ,"
            )
    if not text.strip():
        raise ExpressionError(f"{where}: empty expression; {accepted}")
    # "^" means power, as in papers; Python's "**" has the precedence and
    # right-associativity of a power, while "^" (xor) binds looser than "+".
    source = text.strip().replace("^", "**")
    try:
        with warnings.catch_warnings():
            # Python warns of oddities such as "1if" on stderr; refuse them.
            warnings.simplefilter("error")
            tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError, Warning):
        raise ExpressionError(
            f"{where}: {_shorten(text)!r} is not "
            f"{'a count' if accepted == _ACCEPTED_COUNTS else 'an expression'}; "
            f"{accepted}"
        ) from None
    _check_size(tree, text, where)
    _exact_decimals(tree, source, where)
    return tree


def _exact_decimals(tree: ast.AST, source: str, where: str) -> None:
    """Replaces each decimal literal's float by the exact value of its digits.

    A float would turn ``1e-999`` into 0 and ``1.00000000000000000001`` into 1;
    the digits as written become a :class:`~fractions.Fraction` instead.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            token = ast.get_source_segment(source, node) or repr(node.value)
            exponent = re.search(r"[eE]([+-]?\d+)$", token)
            if exponent and abs(int(exponent[1])) > MAX_LENGTH + MAX_DIGITS:
                raise _too_large(where, f"the literal {_shorten(token)}")
            node.value = Fraction(token)
            if (
                node.value.numerator >= _LARGEST
                or node.value.denominator >= _LARGEST
            ):
                raise _too_large(where, f"the literal {_shorten(token)}")


def _check_size(tree: ast.AST, text: str, where: str) -> None:
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


@dataclass(frozen=True)
class _Shape:
    """What the first pass knows of a subexpression without building it.

    Attributes:
        value: The exact value if the subexpression has no symbols.
        degree: A bound on its polynomial degree (numerator plus denominator).
        terms: A bound on its number of terms once multiplied out.
    """

    value: Fraction | None
    degree: int = 0
    terms: int = 1


class _Checker:
    """The first pass: refuses all but the whitelist and bounds every size.

    It computes with Python's exact fractions, never with SymPy, and checks a
    power's size before computing it, so nothing large is ever built.
    """

    def __init__(
        self,
        symbols: set[str],
        text: str,
        where: str,
        accepted: str = _ACCEPTED,
    ) -> None:
        self.symbols = symbols
        self.text = text
        self.where = where
        self.accepted = accepted

    def refuse(self, what: str) -> ExpressionError:
        return ExpressionError(
            f"{self.where}: {what} is not allowed; {self.accepted}"
        )

    def check(self, node: ast.AST) -> _Shape:
        shape = self.visit(node)
        value = shape.value
        if value is not None and (
            abs(value.numerator) >= _LARGEST or value.denominator >= _LARGEST
        ):
            raise _too_large(self.where, f"the number {_shorten(str(value))}")
        if shape.degree > MAX_DEGREE or shape.terms > MAX_TERMS:
            raise ExpressionError(
                f"{self.where}: {_shorten(self.text)!r} is too large once multiplied "
                f"out; at most degree {MAX_DEGREE} and {MAX_TERMS} terms are accepted"
            )
        return shape

    def visit(self, node: ast.AST) -> _Shape:
        if isinstance(node, ast.Constant):
            return self.constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, ast.UAdd | ast.USub
        ):
            inner = self.check(node.operand)
            if isinstance(node.op, ast.UAdd) or inner.value is None:
                return inner
            return _Shape(-inner.value, inner.degree, inner.terms)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.UnaryOp):
            raise self.refuse(f"the operator {type(node.op).__name__}")
        raise self.refuse(type(node).__name__.lower())

    def constant(self, value: object) -> _Shape:
        # Decimals are already exact fractions (see _exact_decimals).
        if isinstance(value, bool) or not isinstance(value, int | Fraction):
            raise self.refuse(f"the literal {_shorten(repr(value))}")
        if abs(value) >= _LARGEST:
            raise _too_large(self.where, f"the literal {_shorten(str(value))}")
        return _Shape(Fraction(value))

    def name(self, identifier: str) -> _Shape:
        if identifier in _FUNCTIONS:
            raise self.refuse(f"{identifier!r} without parentheses")
        if not self.symbols and self.accepted == _ACCEPTED_COUNTS:
            raise self.refuse(f"the name {_shorten(identifier)!r}")
        if identifier not in self.symbols:
            names = sorted(self.symbols)
            declared = ", ".join(names[:20]) or "none"
            declared += (
                f" and {len(names) - 20} more" if len(names) > 20 else ""
            )
            raise ExpressionError(
                f"{self.where}: unknown symbol {_shorten(identifier)!r}; declared "
                f"symbols: {declared}"
            )
        return _Shape(None, 1, 1)

    def binary(self, node: ast.BinOp) -> _Shape:
        if type(node.op) not in _OPERATORS:
            raise self.refuse(f"the operator {type(node.op).__name__}")
        left = self.check(node.left)
        right = self.check(node.right)
        if isinstance(node.op, ast.Pow):
            return self.power(left, right, node.right)
        a, b = left.value, right.value
        if isinstance(node.op, ast.Add | ast.Sub):
            value = (
                None
                if a is None or b is None
                else (a + b if isinstance(node.op, ast.Add) else a - b)
            )
            return _Shape(
                value, max(left.degree, right.degree), left.terms + right.terms
            )
        if not isinstance(node.op, ast.Mult) and b == 0:
            raise ExpressionError(f"{self.where}: division by zero")
        value = None
        if a is not None and b is not None:
            value = {
                ast.Mult: lambda: a * b,
                ast.Div: lambda: a / b,
                ast.FloorDiv: lambda: Fraction(a // b),
                ast.Mod: lambda: a % b,
            }[type(node.op)]()
        return _Shape(
            value, left.degree + right.degree, left.terms * right.terms
        )

    def power(self, base: _Shape, exponent: _Shape, node: ast.AST) -> _Shape:
        e = exponent.value
        if e is None or e.denominator != 1 or not 0 <= e <= MAX_EXPONENT:
            shown = (
                ast.unparse(node).replace("**", "^") if e is None else str(e)
            )
            raise ExpressionError(
                f"{self.where}: exponent {_shorten(shown)} refused; exponents are "
                f"whole numbers from 0 to {MAX_EXPONENT}"
            )
        power = int(e)
        if base.value is None:
            terms = (
                1
                if base.terms == 1
                else min(base.terms, MAX_TERMS + 1) ** power
            )
            return _Shape(None, base.degree * power, terms)
        # Bound the result's size from its factors' sizes before computing it.
        bits = max(
            abs(base.value.numerator).bit_length(),
            base.value.denominator.bit_length(),
        )
        if bits > 1 and (bits - 1) * power > _LARGEST.bit_length():
            shown = (
                base.value if base.value.denominator == 1 else f"({base.value})"
            )
            raise _too_large(self.where, f"{shown}^{power}")
        return _Shape(base.value**power)

    def call(self, node: ast.Call) -> _Shape:
        if (
            not isinstance(node.func, ast.Name)
            or node.func.id not in _FUNCTIONS
        ):
            name = _shorten(ast.unparse(node.func))
            raise self.refuse(f"calling {name!r}")
        name = node.func.id
        most = 1 if name in ("ceil", "floor") else _MAX_ARGUMENTS
        if node.keywords or not 1 <= len(node.args) <= most:
            plain = "one argument" if most == 1 else f"1 to {most} arguments"
            raise self.refuse(f"{name}() with other than {plain}")
        args = [self.check(arg) for arg in node.args]
        value = None
        if all(arg.value is not None for arg in args):
            values = [arg.value for arg in args]
            value = {
                "ceil": lambda: Fraction(math.ceil(values[0])),
                "floor": lambda: Fraction(math.floor(values[0])),
                "max": lambda: max(values),
                "min": lambda: min(values),
            }[name]()
        return _Shape(
            value,
            max(arg.degree for arg in args),
            sum(arg.terms for arg in args),
        )


class _Builder:
    """The second pass: turns a checked tree into SymPy, one node kind at a time."""

    def __init__(self, symbols: Mapping[str, sympy.Symbol], where: str) -> None:
        # SymPy is imported here, not at the top, so that refusing input (the
        # first pass, and every count) never waits for SymPy to load.
        import sympy

        self.sympy = sympy
        self.symbols = symbols
        self.where = where

    def build(self, node: ast.AST) -> sympy.Expr:
        sympy = self.sympy
        if isinstance(node, ast.Constant):
            return sympy.Rational(node.value)
        if isinstance(node, ast.Name):
            return self.symbols[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        function = {
            "ceil": sympy.ceiling,
            "floor": sympy.floor,
            "max": sympy.Max,
            "min": sympy.Min,
        }[node.func.id]
        return function(*(self.build(arg) for arg in node.args))

    def binary(self, node: ast.BinOp) -> sympy.Expr:
        sympy = self.sympy
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.Pow):
            return left ** int(right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        # The first pass refused a divisor that is the number 0; one that is 0
        # only after simplifying, as in d/(n - n), is refused here.
        if sympy.expand(right) == 0:
            raise ExpressionError(f"{self.where}: division by zero")
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.FloorDiv):
            return sympy.floor(left / right)
        return sympy.Mod(left, right)


def count_rounding(text: str | int) -> int:
    """The unit of the last digit a count is printed to: its rounding.

    A paper that prints "117M" rounds to millions, "1.5B" to hundreds of
    millions; a plain integer, or a count with an exponent, is exact.

    Example:
        >>> from symcount.expressions import count_rounding
        >>> count_rounding("117M"), count_rounding("1.5B"), count_rounding(42)
        (1000000, 100000000, 1)
    """
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return 1
    match = _COUNT.fullmatch(text.strip())
    if not match or match["exponent"] or not match["suffix"]:
        return 1
    _, _, decimals = match["number"].partition(".")
    scale = _SUFFIXES[match["suffix"].lower()]
    return max(scale // 10 ** len(decimals), 1)
