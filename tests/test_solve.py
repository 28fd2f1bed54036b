"""Tests solve_for: exact integer roots, ties, neighbours and refusals."""

from __future__ import annotations

import pytest

from symcount import Linear, count_parameters
from symcount.errors import UnsolvableError
from symcount.evaluate import evaluate
from symcount.solve import solve_for
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
