"""Tests the safe expression parser and the parsing of parameter counts."""

from __future__ import annotations

import pytest
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
            ("2^30", 2**30),
            ("7k", 7000),
            (117_000_000, 117_000_000),
        ],
    )
    def test_accepted(self, text, expected):
        assert parse_count(text) == expected

    @pytest.mark.parametrize("text", ["-5", "0", "1.5", "abc", "1.2345k"])
    def test_refused(self, text):
        with pytest.raises(ExpressionError):
            parse_count(text)
