"""Figures a person would rather look at than read, drawn with pgfplots.

One figure per question: the count against a symbol with the target (or
budget) marked, the groups' shares of the count, and a heat map of a
two-symbol sweep. Figures are LaTeX documents compiled like the report, so
they share its fonts and its safety; this module computes the coordinates and
the template lays them out.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from symcount.errors import InputError, RenderError
from symcount.render.environment import environment
from symcount.render.latex import Latex, math, number, text
from symcount.render.pdf import compile_pdf, write_files
from symcount.solve import Budget, Solution
from symcount.sweep import SweepResult

__all__ = [
    "Figure",
    "budget_figure",
    "curve_points",
    "heatmap_figure",
    "render_figure",
    "scale",
    "shares_figure",
    "solution_figure",
    "write_figure",
]

TEMPLATE = "figure.tex.j2"
_SAMPLES = 61
_HEATMAP_CELLS = 40_000


@dataclass(frozen=True)
class Figure:
    """A figure's kind (``curve``, ``bars`` or ``heatmap``) and its content."""

    kind: str
    context: Mapping[str, Any]


def scale(value: int) -> tuple[int, str]:
    """The unit to plot counts of size ``value`` in, and its word.

    Example:
        >>> from symcount.render.plots import scale
        >>> scale(384_000_000)
        (1000000, 'millions')
    """
    for unit, word in ((10**9, "billions"), (10**6, "millions"), (10**3, "thousands")):
        if value >= unit:
            return unit, word
    return 1, ""


def curve_points(
    expr: sympy.Expr, symbol: sympy.Symbol, high: float, samples: int, unit: int
) -> list[Latex]:
    """``samples`` points ``(x, expr(x) / unit)`` for ``x`` from 0 to ``high``.

    Example:
        >>> from symcount.render.plots import curve_points
        >>> from symcount.symbols import d
        >>> curve_points(d**2, d, 2.0, 3, 1)
        ['(0,0)', '(1,1)', '(2,4)']
    """
    function = sympy.lambdify(symbol, expr, modules="math")
    points = []
    for i in range(samples):
        x = high * i / (samples - 1)
        points.append(Latex(f"({x:.6g},{function(x) / unit:.6g})"))
    return points


def _curve(
    expr: sympy.Expr,
    symbol: sympy.Symbol,
    level: int,
    marked: float | None,
    of: str,
    caption: str,
) -> Figure:
    high = max(2 * marked, 2.0) if marked else 10.0
    unit, word = scale(level)
    height = None if marked is None else float(expr.subs(symbol, marked)) / unit
    return Figure(
        "curve",
        {
            "symbol": math(symbol),
            "function": Latex(f"N({math(symbol)})"),
            "of": of,
            "unit": word,
            "points": curve_points(expr, symbol, high, _SAMPLES, unit),
            "xmax": Latex(f"{high:.6g}"),
            "level": Latex(f"{level / unit:.6g}"),
            "marked": Latex("" if marked is None else f"{marked:.6g}"),
            "height": Latex("" if height is None else f"{height:.6g}"),
            "caption": caption,
        },
    )


def solution_figure(solution: Solution) -> Figure:
    """The solved count against its symbol, the target dashed, the root marked."""
    marked = (
        solution.solutions[0]
        if solution.solutions
        else solution.roots[0]
        if solution.roots
        else None
    )
    caption = f"{solution.of} against {solution.symbol}; dashed: the target"
    return _curve(
        solution.expression,
        solution.symbol,
        solution.target,
        marked,
        solution.of,
        caption,
    )


def budget_figure(answer: Budget) -> Figure:
    """The count against its symbol, the budget dashed, the largest value marked."""
    caption = f"{answer.of} against {answer.symbol}; dashed: the budget"
    return _curve(
        answer.expression,
        answer.symbol,
        answer.budget,
        answer.value,
        answer.of,
        caption,
    )


def shares_figure(parts: Sequence[tuple[str, int]], title: str) -> Figure:
    """Horizontal bars: each part's share of the count, largest first.

    Raises:
        InputError: If there are no parts or their sum is not positive.
    """
    total = sum(value for _, value in parts)
    if not parts or total <= 0:
        raise InputError("nothing to plot: no parts with parameters")
    ordered = sorted(parts, key=lambda item: item[1])
    return Figure(
        "bars",
        {
            "names": [text(name) for name, _ in ordered],
            "coordinates": [
                Latex(f"({100 * value / total:.4g},{i})")
                for i, (_, value) in enumerate(ordered)
            ],
            "labels": [number(value) for _, value in ordered],
            "caption": title,
        },
    )


def heatmap_figure(result: SweepResult, column: str | None = None) -> Figure:
    """A heat map of a two-symbol sweep: colour is the count.

    Raises:
        InputError: If the sweep did not vary exactly two symbols, or would
            draw more than 40,000 cells.
    """
    names = [c for c in result.columns if c not in ("total",) and ":" not in c]
    if len(names) != 2:
        raise InputError(
            "a heat map needs a sweep over exactly two symbols; "
            f"this one varies {len(names)}"
        )
    column = column or result.columns[len(names)]
    if len(result) > _HEATMAP_CELLS:
        raise InputError(
            f"a heat map of {len(result):,} cells is too large to "
            f"draw; use coarser grids (at most {_HEATMAP_CELLS:,})"
        )
    if len(result) != result.points:
        raise InputError("a heat map needs every point of the grid; drop --where")
    data = dict(zip(result.columns, result.data, strict=True))
    values = [int(v) for v in data[column]]
    unit, word = scale(max(values) if values else 1)
    cells = [
        Latex(f"{int(x)} {int(y)} {v / unit:.6g}")
        for x, y, v in zip(data[names[0]], data[names[1]], values, strict=True)
    ]
    return Figure(
        "heatmap",
        {
            "x": math(sympy.Symbol(names[0])),
            "y": math(sympy.Symbol(names[1])),
            "cells": cells,
            "columns": len(set(data[names[0]].tolist())),
            "rows": len(set(data[names[1]].tolist())),
            "unit": word,
            "of": column,
            "caption": f"{column} over {names[0]} and {names[1]}",
        },
    )


def render_figure(figure: Figure) -> str:
    """The LaTeX source of ``figure``, a one-page document sized to the plot."""
    template = environment().get_template(TEMPLATE)
    return template.render(kind=figure.kind, **figure.context)


def write_figure(figure: Figure, path: str | Path) -> Path:
    """Compiles ``figure`` and writes it to ``path`` (``.pdf`` or ``.png``).

    Raises:
        InputError: For another suffix.
        RenderError: If TeX (or, for PNG, pdftoppm) is missing or fails.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise InputError(f"--plot {path}: write a .pdf or a .png file")
    compiled = compile_pdf(render_figure(figure), "figure")
    content = compiled.pdf if suffix == ".pdf" else _png(compiled.pdf)
    write_files(path.parent if str(path.parent) else Path("."), {path.name: content})
    return path


def _png(pdf: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="symcount-png-") as folder:
        source = Path(folder) / "figure.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "150",
                    "-singlefile",
                    str(source),
                    str(Path(folder) / "figure"),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        except FileNotFoundError:
            raise RenderError(
                "no pdftoppm to make a PNG; install poppler-utils, or write a .pdf"
            ) from None
        except subprocess.CalledProcessError as err:
            raise RenderError(
                f"pdftoppm failed: {err.stderr.decode().strip()}"
            ) from None
        return (Path(folder) / "figure.png").read_bytes()
