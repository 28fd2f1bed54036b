"""Tests the safe expression parser and the parsing of parameter counts."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount.errors import ExpressionError
from symcount.expressions import parse_count, parse_expression
from symcount.symbols import d, n

SYMBOLS = {"d": d, "n": n}


class TestParseExpression:
    def test_arithmetic(self):
        assert parse_expression("4*n*(d + n) + 2^3", SYMBOLS) == 4 * n * (d + n) + 8

    def test_caret_is_power(self):
        assert parse_expression("d^2", SYMBOLS) == d**2

    def test_decimals_stay_exact(self):
        assert parse_expression("1.5*d", SYMBOLS) == 3 * d / 2

    def test_decimals_keep_every_written_digit(self):
        # A float would round this to 1; the digits as written are kept.
        assert parse_expression("1.000000000000000000001") == sympy.Rational(
            10**21 + 1, 10**21)

    @pytest.mark.parametrize("text", ["d^8", "(d + n)^6", "max(d, n, 2*d, 7)",
                                      "floor(d / 3) + ceil(n / 3) + d // 2 + d % 5"])
    def test_at_the_limits(self, text):
        parse_expression(text, SYMBOLS)

    @pytest.mark.parametrize(
        "text,message",
        [
            ("__import__('os').system('true')", "not allowed"),
            ("(lambda: 1)()", "not allowed"),
            ("d.real", "attribute is not allowed"),
            ("[d]", "list is not allowed"),
            ("'d'", "literal"),
            ("open('/etc/passwd')", "calling 'open'"),
            ("m + 1", "unknown symbol 'm'"),
            ("d ** d", "exponent d refused"),
            ("9^9^9^9", "exponent 387420489 refused"),
            ("9^50", "more than 40 digits"),
            ("10**100", "exponent 100 refused"),
            ("1" * 41, "more than 40 digits"),
            ("d" + "+d" * 300, "at most 500"),
            ("-" * 40 + "d", "nested too deeply"),
            ("d × n", r"character '×' \(U\+00D7\) refused"),
            ("", "empty expression"),
            ("d +", "is not an expression"),
            ("d / 0", "division by zero"),
            ("d / (n - n)", "division by zero"),
            ("(d + n)^64", "too large once multiplied out"),
            ("d^9", "at most degree 8"),
            ("(d + n + 1)^4", "64 terms"),
            ("max(d, d, d, d, d, d, d, d, d)", "1 to 8 arguments"),
            ("ceil(d, n)", "other than one argument"),
            ("max + d", "'max' without parentheses"),
            ("d\x00", r"character '\\x00' refused"),
            ("d # n", "character '#' refused"),
            ("(d\n+ n)", r"character '\\n' refused"),
            ("1e-999", "the literal 1e-999 has more than 40 digits"),
            ("0.1^64", r"\(1/10\)\^64 has more than 40 digits"),
            ("1if", "is not an expression"),
        ],
    )
    def test_refused(self, text, message):
        with pytest.raises(ExpressionError, match=message):
            parse_expression(text, SYMBOLS)

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=60))
    def test_any_text_parses_or_fails_cleanly(self, text):
        try:
            parse_expression(text, SYMBOLS)
        except ExpressionError:
            pass


class TestParseCount:
    @pytest.mark.parametrize(
        "text,expected",
        [
            ("384M", 384_000_000),
            ("1.5B", 1_500_000_000),
            ("384e6", 384_000_000),
            ("384000000", 384_000_000),
            ("384,000,000", 384_000_000),
            ("384_000_000", 384_000_000),
            ("2^30", 2**30),
            ("7k", 7000),
            (117_000_000, 117_000_000),
        ],
    )
    def test_accepted(self, text, expected):
        assert parse_count(text) == expected

    @pytest.mark.parametrize(
        "text,message",
        [
            ("-5", "not a positive whole number"),
            ("0", "not a positive whole number"),
            ("1.5", "not a positive whole number"),
            ("1.2345k", "not a positive whole number"),
            ("abc", "the name 'abc' is not allowed"),
            ("1,5M", "is not a count"),  # a decimal comma is not read as 15M
            ("1e999999999", "10\\^999999999 has more than 40 digits"),
            ("9" * 41, "has more than 40 digits"),
            ("9^9^9^9", "exponent 387420489 refused"),
        ],
    )
    def test_refused(self, text, message):
        with pytest.raises(ExpressionError, match=message):
            parse_count(text)
