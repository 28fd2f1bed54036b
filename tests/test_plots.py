"""Tests the figures: compiled with TeX and read back from the PDF's text."""

from __future__ import annotations

import subprocess

import pytest

from symcount.errors import InputError
from symcount.evaluate import evaluate
from symcount.render.plots import (
    budget_figure,
    heatmap_figure,
    shares_figure,
    solution_figure,
    write_figure,
)
from symcount.solve import maximize, solve_for
from symcount.sweep import parse_condition, sweep
from symcount.symbols import L, d


def pdf_text(path) -> str:
    done = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(done.stdout.split())


def test_budget_figure_marks_the_largest_multiple(seq2seq, tmp_path):
    result = evaluate(seq2seq)
    answer = maximize(result.count, d, 384_000_000, result.values, multiple_of=64)
    path = write_figure(budget_figure(answer), tmp_path / "budget.pdf")
    assert "d = 960" in pdf_text(path)


def test_solution_figure(seq2seq, tmp_path):
    result = evaluate(seq2seq)
    solution = solve_for(result.count, d, 384_000_000, result.values)
    text = pdf_text(write_figure(solution_figure(solution), tmp_path / "s.pdf"))
    assert "d = 1000" in text and "millions" in text


def test_shares_figure_labels_each_part(seq2seq, tmp_path):
    numbers = evaluate(seq2seq).numbers
    parts = [(p.name, int(p.expression)) for p in numbers.parts]
    text = pdf_text(write_figure(shares_figure(parts, "seq2seq"), tmp_path / "b.pdf"))
    assert "embed_src" in text and "160,000,000" in text


def test_heatmap_is_a_png(seq2seq, tmp_path):
    result = evaluate(seq2seq)
    grid = sweep(
        result.count, {d: range(250, 1001, 250), L: range(1, 5)}, result.values
    )
    path = write_figure(heatmap_figure(grid), tmp_path / "heat.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class TestRefusals:
    def test_heatmap_needs_two_symbols(self, seq2seq):
        result = evaluate(seq2seq)
        grid = sweep(result.count, {d: [1, 2]}, result.values)
        with pytest.raises(InputError, match="exactly two symbols"):
            heatmap_figure(grid)

    def test_heatmap_needs_the_whole_grid(self, seq2seq):
        result = evaluate(seq2seq)
        grid = sweep(
            result.count,
            {d: [1, 2000], L: [1, 2]},
            result.values,
            where=[parse_condition("total<=300M")],
        )
        with pytest.raises(InputError, match="every point of the grid"):
            heatmap_figure(grid)

    def test_suffix(self, cli, tmp_path):
        status, out, err = cli("explain", "seq2seq", "--plot", str(tmp_path / "x.svg"))
        assert status == 2 and out == ""
        assert "write a .pdf or a .png file" in err


def test_cli_sweep_plot(cli, tmp_path):
    path = tmp_path / "heat.pdf"
    status, out, _ = cli(
        "sweep",
        "seq2seq",
        "--grid",
        "d=500:1000:250",
        "--grid",
        "L=1:4",
        "--plot",
        str(path),
    )
    assert status == 0 and f"wrote {path}" in out
    assert "total over d and L" in pdf_text(path)
