"""Tests solve_for: exact integer roots, ties, neighbours and refusals."""

from __future__ import annotations

import pytest

from symcount import Linear, count_parameters
from symcount.errors import InputError, UnsolvableError
from symcount.evaluate import evaluate
from symcount.solve import integer_ranges, maximize, solve_for, solve_system
from symcount.symbols import L, V_src, d, n


class TestSolveFor:
    def test_d_from_the_papers_total(self, seq2seq):
        result = evaluate(seq2seq)
        solution = solve_for(result.count, d, 384_000_000, result.values)
        assert solution.solutions == (1000,)
        assert solution.exact

    def test_d_with_n_tied_to_d(self, seq2seq):
        result = evaluate(seq2seq, overrides={n: d})
        solution = solve_for(result.count, d, 384_000_000, result.values)
        assert solution.solutions == (1000,)
        assert solution.expression.as_poly(d).degree() == 2

    def test_recurrent_subtotal(self, seq2seq):
        result = evaluate(seq2seq)
        solution = solve_for(
            result.count, L, 64_000_000, result.values, of="tag:recurrent"
        )
        assert solution.solutions == (4,)

    def test_no_integer_solution_gives_neighbours(self, seq2seq):
        result = evaluate(seq2seq, overrides={n: d})
        solution = solve_for(result.count, d, 385_000_000, result.values)
        assert not solution.exact
        # N(d) = 64 d^2 + 320000 d brackets 385M between d = 1002 and 1003.
        assert [(x.value, x.total) for x in solution.neighbours] == [
            (1002, 64 * 1002**2 + 320_000 * 1002),
            (1003, 64 * 1003**2 + 320_000 * 1003),
        ]

    def test_target_below_every_positive_size(self, seq2seq):
        result = evaluate(seq2seq)
        solution = solve_for(result.count, d, 1000, result.values)
        assert solution.solutions == () and solution.roots == ()

    def test_missing_values_are_named(self, seq2seq):
        result = evaluate(seq2seq)
        with pytest.raises(UnsolvableError, match="give values for: L, V_src"):
            solve_for(result.count, d, 384_000_000, {n: 1000})

    def test_symbol_not_in_subtotal(self, seq2seq):
        result = evaluate(seq2seq)
        with pytest.raises(UnsolvableError, match="does not depend on V_src"):
            solve_for(result.count, V_src, 1, result.values, of="node:decoder")

    def test_square_layer(self):
        count = count_parameters(Linear(d, d), "pytorch")
        assert solve_for(count, d, 1024 * 1024 + 1024).solutions == (1024,)


class TestIntegerRanges:
    def test_rounding_interval(self):
        # 248000 d + 136M lies in [383.5M, 384.5M) for d from 998 to 1002.
        expr = 248_000 * d + 136_000_000
        assert integer_ranges(expr, d, 383_500_000, 384_500_000) == ((998, 1002),)

    def test_unbounded_above(self):
        assert integer_ranges(d**2, d, 10, None) == ((4, None),)

    def test_non_monotone_gives_two_ranges(self):
        # (d - 5)^2 < 4 for d = 4, 5, 6 only; >= 4 elsewhere.
        expr = (d - 5) ** 2
        assert integer_ranges(expr, d, None, 4) == ((4, 6),)
        assert integer_ranges(expr, d, 4, None) == ((1, 3), (7, None))


class TestMaximize:
    def test_largest_d_within_384m(self, seq2seq):
        result = evaluate(seq2seq)
        answer = maximize(result.count, d, 384_000_000, result.values)
        assert (answer.value, answer.total) == (1000, 384_000_000)

    def test_multiple_of_64(self, seq2seq):
        result = evaluate(seq2seq)
        answer = maximize(result.count, d, 384_000_000, result.values, multiple_of=64)
        # 248000 d + 136M: d = 960 gives 374,080,000; d = 1024 would exceed.
        assert (answer.value, answer.total) == (960, 374_080_000)
        assert answer.next_total == 248_000 * 1024 + 136_000_000

    def test_nothing_fits(self, seq2seq):
        result = evaluate(seq2seq)
        with pytest.raises(UnsolvableError, match="no positive d keeps total"):
            maximize(result.count, d, 1000, result.values)


class TestSolveSystem:
    def test_total_and_recurrent_give_d_and_n(self, seq2seq):
        result = evaluate(seq2seq)
        targets = [("total", 384_000_000), ("tag:recurrent", 64_000_000)]
        system = solve_system(result.count, targets, [d, n], result.values)
        assert system.solutions == ({d: 1000, n: 1000},)

    def test_inexact_system_reports_the_real_solution(self, seq2seq):
        result = evaluate(seq2seq)
        targets = [("total", 385_000_000), ("tag:recurrent", 64_000_000)]
        system = solve_system(result.count, targets, [d, n], result.values)
        assert not system.exact
        [real] = system.real
        assert real[d] == pytest.approx(1004.2613, abs=1e-3)

    def test_needs_one_target_per_unknown(self, seq2seq):
        result = evaluate(seq2seq)
        with pytest.raises(InputError, match="1 targets for 2 unknowns"):
            solve_system(result.count, [("total", 1)], [d, n], result.values)


def test_neighbours_are_python_ints(seq2seq):
    result = evaluate(seq2seq)
    solution = solve_for(result.count, d, 385_000_000, result.values)
    assert {type(x.value) for x in solution.neighbours} == {int}
