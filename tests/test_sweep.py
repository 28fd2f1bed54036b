"""Tests sweep: grids, conditions, exactness beyond 2^53 and the CLI command."""

from __future__ import annotations

import random

import pytest

from symcount.errors import InputError
from symcount.evaluate import evaluate
from symcount.sweep import parse_condition, parse_grid, sweep
from symcount.symbols import L, d, n


def test_values_equal_closed_form_at_sampled_points(seq2seq):
    result = evaluate(seq2seq)
    grid = {d: range(1, 1001), n: range(1, 1001)}
    answer = sweep(result.count, grid, result.values, of=["total", "tag:recurrent"])
    assert answer.points == len(answer) == 1_000_000
    rows = list(answer.rows())
    for row in random.Random(0).sample(rows, 25):
        at = result.count.subs({**result.values, d: row[0], n: row[1]})
        assert row[2:] == (at.value(), at.value("tag:recurrent"))


def test_exact_beyond_float_precision(seq2seq):
    result = evaluate(seq2seq)
    big = 10**9 + 7
    answer = sweep(result.count, {d: [big], n: [big]}, result.values)
    [row] = answer.rows()
    exact = result.count.subs({**result.values, d: big, n: big}).value()
    assert row[2] == exact
    assert exact > 2**63 and float(exact) != exact


def test_where_keeps_matching_rows(seq2seq):
    result = evaluate(seq2seq)
    condition = parse_condition("total<=300M")
    answer = sweep(result.count, {L: range(1, 9)}, result.values, where=[condition])
    expected = [
        (layers, result.count.subs({**result.values, L: layers}).value())
        for layers in range(1, 9)
    ]
    assert list(answer.rows()) == [row for row in expected if row[1] <= 300_000_000]


class TestParse:
    def test_grid_range_includes_stop(self):
        assert parse_grid("d=2:8:3", {"d": d}) == (d, (2, 5, 8))

    def test_grid_list(self):
        assert parse_grid("d=1k,2k", {"d": d}) == (d, (1000, 2000))

    @pytest.mark.parametrize(
        "text,message",
        [
            ("d", "expected SYM="),
            ("q=1:2", "unknown symbol 'q'"),
            ("d=5:1", "the grid is empty"),
            ("d=1:2:3:4", "expected START:STOP"),
        ],
    )
    def test_bad_grid(self, text, message):
        with pytest.raises(InputError, match=message):
            parse_grid(text, {"d": d})

    def test_bad_condition(self):
        with pytest.raises(InputError, match="expected SUBTOTAL OP COUNT"):
            parse_condition("total ~ 5")


def test_cli_sweep_csv(cli, tmp_path):
    path = tmp_path / "grid.csv"
    status, out, _ = cli(
        "sweep",
        "seq2seq",
        "--grid",
        "d=500:1000:500",
        "--grid",
        "L=2,4",
        "--csv",
        str(path),
    )
    assert status == 0
    assert path.read_text().splitlines() == [
        "d,L,total",
        "500,2,228000000",
        "500,4,260000000",
        "1000,2,352000000",
        "1000,4,384000000",
    ]
    assert "4 of 4 points kept" in out
