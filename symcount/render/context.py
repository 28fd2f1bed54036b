"""The report's content: an evaluation (and a solution) as strings for the template.

Everything computed for the document is computed here, so the template only
lays it out. Math comes through :mod:`symcount.render.latex` as
:class:`~symcount.render.latex.Latex`; text from the derivation file stays a
plain ``str``, which the report environment escapes when it prints it.

Long sums are broken into rows of an ``align*`` block between their terms,
by an estimate of their printed width (:data:`LINE_WIDTH` characters of
math), so that no equation runs into the margin.
"""

from __future__ import annotations

import math as _math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import sympy

from symcount.conventions import Convention
from symcount.count import ParameterCount, closed_form, count_parameters
from symcount.evaluate import Evaluation, check_claim
from symcount.graph import Network
from symcount.render.latex import Latex, escape_text, math, number, substituted
from symcount.render.lemmas import lemmas, node_ref
from symcount.render.pdf import safe_stem
from symcount.render.plots import curve_points, scale
from symcount.solve import Solution
from symcount.symbols import resolve_values

__all__ = ["LINE_WIDTH", "Layout", "report_context", "short_count", "sum_rows"]

LINE_WIDTH = 66
"""How many characters of math fit on one row of a displayed equation."""


@dataclass(frozen=True)
class Layout:
    """Sizes of the drawings, in centimetres; keyword-only.

    Attributes:
        graph_width: The widest the network drawing may be.
        graph_height: The tallest it may be.
        column: The preferred distance between columns of nodes.
        row: The preferred distance between rows of nodes.
        bar_width: The length of the longest bar of the share chart.
        plot_samples: Points sampled for the plot of the solving section.
    """

    graph_width: float = 13.0
    graph_height: float = 17.0
    column: float = 3.4
    row: float = 1.7
    bar_width: float = 8.0
    plot_samples: int = 41


def _version() -> str:
    try:
        return metadata.version("symcount")
    except metadata.PackageNotFoundError:
        return "unreleased"


_SCRIPT = re.compile(r"[_^]\{((?:[^{}]|\{[^{}]*\})*)\}")


def _width(latex: str) -> float:
    """Estimates the printed width of math-mode ``latex`` in characters.

    Sub- and superscripts count at two thirds, operators with their spacing.
    """
    text = re.sub(r"\\(?:left|right|bigl|bigr|big|Bigl|Bigr)\b", "", latex)
    text = _SCRIPT.sub(lambda m: "\x01" * round(0.65 * _width(m[1])), text)
    text = re.sub(r"\\(?:cdot|times|ldots|odot|quad)\b", "x", text)
    text = re.sub(r"\\char\d+", "x", text)
    text = re.sub(r"\\[A-Za-z]+|\\[,;!]|[{}&_^]", "", text)
    operators = len(re.findall(r"[-+=]", text))
    return len(text.replace(" ", "")) + 1.5 * operators


def _terms(expr: sympy.Expr, values: Mapping[sympy.Symbol, Any] | None = None):
    """The terms of a sum as ``(sign, latex)``, in the printer's order."""
    expr = sympy.sympify(expr)
    terms = expr.as_ordered_terms() if expr.is_Add else [expr]
    out = []
    for term in terms:
        sign = "-" if term.could_extract_minus_sign() else "+"
        body = -term if sign == "-" else term
        out.append((sign, substituted(body, values) if values else math(body)))
    return out


def sum_rows(
    lhs: str,
    steps: Sequence[Sequence[tuple[str, str]]],
    width: float | None = None,
    *,
    block: Sequence[str] = (),
) -> tuple[Latex, ...]:
    """Rows of an ``align*`` block for ``lhs = step_1 = step_2 ...``.

    Each step is a sum given as ``(sign, term)`` pairs; a step wider than
    ``width`` (default :data:`LINE_WIDTH`) continues on the next rows,
    indented, between two terms. ``block`` lists the left-hand sides of the
    other rows aligned with these, since the widest decides where all rows
    start.

    Example:
        >>> from symcount.render.context import sum_rows
        >>> sum_rows("N", [[("+", "a"), ("-", "b")]])
        ('N &= a - b',)
    """
    width = width or LINE_WIDTH
    start = max(_width(side) for side in (lhs, *block)) + 2.5
    rows: list[str] = []
    for i, terms in enumerate(steps):
        line = f"{lhs} &= " if i == 0 else "&= "
        used = start
        for j, (sign, term) in enumerate(terms):
            piece = (
                ("- " if sign == "-" else "") + term
                if j == 0
                else (f" {sign} {term}")
            )
            if j > 0 and used + _width(piece) > width:
                rows.append(line)
                line, used = (
                    f"&\\quad {sign} {term}",
                    start + 3.5 + _width(term),
                )
                continue
            line += piece
            used += _width(piece)
        rows.append(line)
    return tuple(Latex(row) for row in rows)


def _paren(expr: sympy.Expr) -> Latex:
    tex = math(expr)
    return Latex(f"\\left({tex}\\right)") if sympy.sympify(expr).is_Add else tex


def short_count(value: int, rounding: int = 1) -> str:
    """A count as a paper prints it at its rounding: ``384M``, ``1.5B``.

    Example:
        >>> from symcount.render.context import short_count
        >>> short_count(384_000_000, 1_000_000), short_count(1_500_000_000, 10**8)
        ('384M', '1.5B')
    """
    if rounding <= 1 or value < 1000:
        return f"{value:,}"
    for unit, suffix in (
        (10**12, "T"),
        (10**9, "B"),
        (10**6, "M"),
        (10**3, "k"),
    ):
        if value >= unit:
            decimals = max(0, _math.ceil(_math.log10(unit / rounding)))
            return f"{value / unit:.{decimals}f}{suffix}"
    return f"{value:,}"


def _round(value: int, rounding: int) -> int:
    return (2 * value + rounding) // (2 * rounding) * rounding


def _share(part: sympy.Expr, total: sympy.Expr) -> float | None:
    if part.is_number and total.is_number and total != 0:
        return float(part) / float(total)
    return None


def _percent(share: float | None) -> Latex:
    return Latex("" if share is None else f"{100 * share:.1f}\\%")


def _header(evaluation: Evaluation) -> dict[str, Any]:
    derivation = evaluation.derivation
    citation = derivation.citation
    authors = citation.get("authors", [])
    authors = (
        [authors] if isinstance(authors, str) else [str(a) for a in authors]
    )
    names = (
        ", ".join(authors[:-1]) + " and " + authors[-1]
        if len(authors) > 1
        else "".join(authors)
    )
    paragraphs = [
        " ".join(p.split()) for p in derivation.description.split("\n\n")
    ]
    return {
        "title": derivation.title,
        "name": derivation.name,
        "stem": safe_stem(derivation.name),
        "authors": names,
        "year": str(citation.get("year", "")),
        "venue": str(citation.get("venue", "")),
        "where": str(citation.get("where", "")),
        "url": str(citation.get("url", "")),
        "doi": str(citation.get("doi", "")),
        "description": [p for p in paragraphs if p],
        "quotes": [c.quote for c in derivation.claims if c.quote],
        "convention": evaluation.convention.value,
        "version": _version(),
    }


def _symbols(evaluation: Evaluation) -> dict[str, Any]:
    rows, overridden = [], False
    for info in evaluation.derivation.symbols:
        used = evaluation.values.get(info.symbol)
        changed = used is not None and (
            info.value is None or sympy.expand(used - info.value) != 0
        )
        overridden |= changed
        rows.append(
            {
                "symbol": math(info.symbol),
                "meaning": info.meaning,
                "paper": Latex("---")
                if info.value is None
                else number(info.value),
                "used": Latex("---") if used is None else number(used),
                "changed": changed,
            }
        )
    return {"rows": rows, "overridden": overridden}


def _graph(
    network: Network, count: ParameterCount, layout: Layout
) -> dict[str, Any]:
    """Node positions in columns by longest path; wide graphs are drawn downwards.

    A node without inputs sits just before its first successor, not in the
    first column, so that it is drawn next to the layer it feeds.
    """
    graph = network.G
    order = {node: i for i, node in enumerate(network)}
    depth: dict[str, int] = {}
    for node in network:
        depth[node] = max(
            (depth[pred] + 1 for pred in graph.predecessors(node)), default=0
        )
    for node in reversed(list(network)):
        if graph.in_degree(node) == 0 and graph.out_degree(node) > 0:
            succ = graph.successors(node)
            depth[node] = min(depth[after] for after in succ) - 1
    generations: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for node in network:
        generations[depth[node]].append(node)

    # Within a column, follow the rows of the inputs; nodes without inputs last.
    position: dict[str, tuple[int, float]] = {}
    for column, generation in enumerate(generations):

        def weight(node: str) -> tuple[float, int]:
            above = [
                position[pred][1]
                for pred in graph.predecessors(node)
                if pred in position
            ]
            mean = sum(above) / len(above) if above else float("inf")
            return (mean, order[node])

        generation.sort(key=weight)
        for slot, node in enumerate(generation):
            position[node] = (column, slot)

    across = len(generations) <= 5
    steps = max(len(generations) - 1, 1)
    spread = max((len(g) for g in generations), default=1) - 1 or 1
    if across:
        dx = min(layout.column, layout.graph_width / steps)
        dy = min(layout.row, layout.graph_height / spread)
    else:
        dx = min(layout.column, layout.graph_width / spread)
        dy = min(layout.row, layout.graph_height / steps)
    palette = [
        "blue!12",
        "orange!18",
        "green!15",
        "red!12",
        "violet!12",
        "cyan!15",
        "yellow!25",
        "gray!15",
    ]
    groups: dict[str, str] = {}
    for part in count.parts:
        if part.group is not None and part.group not in groups:
            groups[part.group] = palette[len(groups) % len(palette)]

    ids = {node: f"v{i}" for i, node in enumerate(network)}
    nodes = []
    for part in count.parts:
        column, slot = position[part.name]
        x, y = (
            (column * dx, -slot * dy) if across else (slot * dx, -column * dy)
        )
        nodes.append(
            {
                "id": ids[part.name],
                "name": node_ref(part.name),
                "kind": part.layer.kind,
                "x": Latex(f"{x:.2f}"),
                "y": Latex(f"{y:.2f}"),
                "times": None if part.times == 1 else math(part.times),
                "fill": Latex(groups.get(part.group, "white")),
            }
        )
    edges = [
        {"source": ids[a], "target": ids[b], "state": bool(data.get("state"))}
        for a, b, data in graph.edges(data=True)
    ]
    ties = sorted(
        {
            (ids[t.alias.partition(".")[0]], ids[t.owner.partition(".")[0]])
            for t in network.ties
        }
    )
    return {
        "nodes": nodes,
        "edges": edges,
        "across": across,
        "ties": [{"source": a, "target": b} for a, b in ties if a != b],
        "groups": [{"name": g, "fill": Latex(c)} for g, c in groups.items()],
        "has_state": any(e["state"] for e in edges),
    }


def _composition(evaluation: Evaluation) -> dict[str, Any]:
    count = evaluation.count
    network = evaluation.derivation.network
    names = [("+", Latex(f"N({node_ref(p.name)})")) for p in count.parts]
    forms = [("+", _paren(closed_form(p.expression))) for p in count.parts]
    nodes = sum_rows("N", [names, forms, _terms(count.closed_form)])

    def subtotals(label: str, table: Mapping[str, sympy.Expr], key: str):
        out = []
        sides = [f"N(\\text{{{label} }}{node_ref(name)})" for name in table]
        for name, expr in table.items():
            members = [
                p
                for p in count.parts
                if (p.group == name if key == "group" else name in p.tags)
            ]
            lhs = f"N(\\text{{{label} }}{node_ref(name)})"
            steps = [[("+", Latex(f"N({node_ref(p.name)})")) for p in members]]
            if len(members) > 1:
                steps.append(
                    [("+", _paren(closed_form(p.expression))) for p in members]
                )
            steps.append(_terms(closed_form(expr)))
            out.append(
                {"name": name, "rows": sum_rows(lhs, steps, block=sides)}
            )
        return out

    repeats = [
        {
            "name": b.name,
            "nodes": [node_ref(v) for v in b.nodes],
            "times": math(b.times),
        }
        for b in network.blocks
    ]
    ties = [
        {
            "alias": Latex(f"\\texttt{{{escape_text(t.alias)}}}"),
            "owner": Latex(f"\\texttt{{{escape_text(t.owner)}}}"),
        }
        for t in network.ties
    ]
    return {
        "nodes": nodes,
        "groups": subtotals("group", count.groups, "group"),
        "tags": subtotals("tag", count.tags, "tag"),
        "repeats": repeats,
        "ties": ties,
    }


def _algebra(evaluation: Evaluation, values: Mapping[sympy.Symbol, sympy.Expr]):
    total = evaluation.count.total
    collected = closed_form(total)
    factored = sympy.factor(total)
    if sympy.srepr(factored) == sympy.srepr(total) and collected.is_Add:
        pieces = sympy.collect(
            total,
            sorted(
                total.free_symbols,
                key=lambda s: (-_degree(total, [s]), str(s)),
            ),
            evaluate=False,
        )
        factored = sympy.Add(
            *(sympy.factor(c) * k for k, c in pieces.items()), evaluate=False
        )
    terms = sympy.Add.make_args(total)
    symbols = sorted(total.free_symbols, key=str)

    def degree(term: sympy.Expr) -> int:
        return _degree(term, symbols) if symbols else 0

    top = max((degree(t) for t in terms), default=0)
    highest = sympy.Add(*(t for t in terms if degree(t) == top))
    largest = None
    valued = [(t, t.xreplace(values)) for t in terms]
    if all(v.is_number for _, v in valued) and valued:
        term, value = max(valued, key=lambda tv: tv[1])
        total_value = total.xreplace(values)
        largest = {
            "term": math(term),
            "value": number(value),
            "share": _percent(_share(value, total_value)),
        }
    return {
        "expanded": sum_rows("N", [_terms(total)]),
        "collected": sum_rows("N", [_terms(collected)]),
        "factored": sum_rows("N", [_terms(factored)]),
        "highest": math(highest),
        "degree": str(top),
        "largest": largest,
    }


def _degree(expr: sympy.Expr, symbols: list[sympy.Symbol]) -> int:
    """Total degree in ``symbols``: the numerator's less the denominator's, as
    a symbol may divide (grouped-query attention's ``n_kv_head/n_head``)."""
    numerator, denominator = sympy.fraction(sympy.together(expr))
    try:
        return (sympy.Poly(numerator, *symbols).total_degree()
                - sympy.Poly(denominator, *symbols).total_degree())
    except sympy.PolynomialError:
        return 0


def _numbers(
    evaluation: Evaluation,
    values: Mapping[sympy.Symbol, sympy.Expr],
    layout: Layout,
) -> dict[str, Any]:
    count, numbers = evaluation.count, evaluation.numbers
    numeric = bool(numbers.total.is_number)
    steps, rows, bars = [], [], []
    sides = [f"N({node_ref(p.name)})" for p in count.parts]
    for part, value in zip(count.parts, numbers.parts, strict=True):
        form = closed_form(part.expression)
        lhs = Latex(f"N({node_ref(part.name)})")
        chain = [_terms(form)]
        if form.free_symbols:
            chain.append(_terms(form, values))
        chain.append([("+", number(value.expression))])
        steps.append(sum_rows(lhs, chain, block=sides))
        share = _share(value.expression, numbers.total)
        rows.append(
            {
                "name": node_ref(part.name),
                "kind": part.layer.kind,
                "group": part.group or "",
                "formula": math(form),
                "value": number(value.expression),
                "share": _percent(share),
            }
        )
        if share is not None:
            bars.append((node_ref(part.name), share))
    most = max((share for _, share in bars), default=0) or 1
    total = closed_form(count.total)
    chain = [
        _terms(total),
        _terms(total, values),
        [("+", number(numbers.total))],
    ]
    return {
        "numeric": numeric,
        "steps": steps,
        "total": sum_rows("N", chain, block=sides),
        "rows": rows,
        "value": number(numbers.total),
        "bars": [
            {
                "name": name,
                "share": _percent(share),
                "length": Latex(f"{layout.bar_width * share / most:.2f}"),
            }
            for name, share in bars
        ],
        "headline": sum_rows("N", chain[::2]),
    }


def _claims(evaluation: Evaluation) -> list[dict[str, Any]]:
    rows = []
    for check in evaluation.claims:
        claim = check.claim
        rounding = claim.rounding
        rows.append(
            {
                "name": claim.name,
                "of": claim.of,
                "quote": claim.quote,
                "stated": short_count(claim.value, rounding),
                "rounding": short_count(rounding, rounding),
                "low": number(claim.value - sympy.Rational(rounding, 2)),
                "high": number(claim.value + sympy.Rational(rounding, 2)),
                "derived": number(check.derived),
                "rounded": short_count(
                    _round(check.derived, rounding), rounding
                ),
                "holds": check.holds,
                "status": check.status,
                "gap": Latex(f"{check.gap:+,}".replace(",", "{,}")),
                "relative": Latex(f"{100 * check.gap / claim.value:+.2f}\\%"),
                "convention": (claim.convention or evaluation.convention).value,
                "note": claim.note or "",
            }
        )
    return rows


def _conventions(
    evaluation: Evaluation, values: Mapping[sympy.Symbol, sympy.Expr]
) -> dict[str, Any]:
    network = evaluation.derivation.network
    counts = {c: count_parameters(network, c) for c in Convention}
    valued = {c: k.subs(evaluation.values) for c, k in counts.items()}
    here = evaluation.convention
    names = [c.value for c in Convention]
    rows = []
    for i, part in enumerate(counts[here].parts):
        rows.append(
            {
                "name": node_ref(part.name),
                "cells": [
                    number(valued[c].parts[i].expression) for c in Convention
                ],
            }
        )
    totals = [number(valued[c].total) for c in Convention]
    formulas, differences = [], []
    sides = [f"N_{{\\mathrm{{{c.value}}}}}" for c in Convention]
    gaps = [f"{side} - N_{{\\mathrm{{{here.value}}}}}" for side in sides]
    for c in Convention:
        lhs = f"N_{{\\mathrm{{{c.value}}}}}"
        formulas.append(
            sum_rows(lhs, [_terms(counts[c].closed_form)], block=sides)
        )
        if c is not here:
            diff = sympy.expand(counts[c].total - counts[here].total)
            lhs = (
                f"N_{{\\mathrm{{{c.value}}}}} - N_{{\\mathrm{{{here.value}}}}}"
            )
            steps = [_terms(closed_form(diff))]
            if diff.free_symbols and diff.xreplace(values).is_number:
                steps.append([("+", number(diff.xreplace(values)))])
            differences.append(sum_rows(lhs, steps, block=gaps))
    held = []
    for c in Convention:
        checks = (
            [
                check_claim(k.claim, valued[c].value(k.claim.of))
                for k in evaluation.claims
            ]
            if valued[c].total.is_number
            else []
        )
        held.append(Latex(f"{sum(k.holds for k in checks)} of {len(checks)}"))
    return {
        "names": names,
        "here": here.value,
        "rows": rows,
        "totals": totals,
        "formulas": formulas,
        "differences": differences,
        "held": held,
        "numeric": bool(valued[here].total.is_number),
    }


def _solving(
    solution: Solution, evaluation: Evaluation, layout: Layout
) -> dict[str, Any]:
    sym, expr, target = solution.symbol, solution.expression, solution.target
    unknown = math(sym)
    function = Latex(f"N({unknown})")
    equation = sum_rows(function, [_terms(expr), [("+", number(target))]])
    others = [
        {"symbol": math(s), "value": number(v)}
        for s, v in resolve_values(
            {k: v for k, v in evaluation.values.items() if k != sym}
        ).items()
        if s in evaluation.count.total.free_symbols
    ]

    # The plot spans twice the first root, or 1..10 if there is none.
    anchor = (
        solution.solutions[0]
        if solution.solutions
        else (solution.roots[0] if solution.roots else None)
    )
    high = max(2 * anchor, 2.0) if anchor is not None else 10.0
    unit, word = scale(target)
    points = curve_points(expr, sym, high, layout.plot_samples, unit)
    paper = next(
        (
            info.value
            for info in evaluation.derivation.symbols
            if info.symbol == sym
        ),
        None,
    )
    return {
        "symbol": unknown,
        "function": function,
        "of": solution.of,
        "equation": equation,
        "others": others,
        "exact": solution.exact,
        "solutions": [number(v) for v in solution.solutions],
        "roots": [Latex(f"{r:.4f}") for r in solution.roots],
        "neighbours": [
            {
                "value": number(n.value),
                "total": number(n.total),
                "difference": Latex(
                    f"{n.difference(target):+,}".replace(",", "{,}")
                ),
            }
            for n in solution.neighbours
        ],
        "target": number(target),
        "points": points,
        "anchor": Latex("" if anchor is None else f"{anchor:.6g}"),
        "target_scaled": Latex(f"{target / unit:.6g}"),
        "xmax": Latex(f"{high:.6g}"),
        "unit": word,
        "paper": None
        if paper is None or not paper.is_Integer
        else number(paper),
        "agrees": paper is not None
        and paper.is_Integer
        and int(paper) in solution.solutions,
    }


def report_context(
    evaluation: Evaluation,
    solution: Solution | None = None,
    *,
    layout: Layout | None = None,
) -> dict[str, Any]:
    """The variables of the report template, computed from ``evaluation``.

    Args:
        evaluation: A derivation counted under one convention and set of values.
        solution: An optional solution, for the solving section.
        layout: Sizes of the drawings; the defaults fit an A4 page.

    Returns:
        A dict of plain strings (text from the derivation file, to be escaped),
        :class:`~symcount.render.latex.Latex` strings, lists and dicts.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.evaluate import evaluate
        >>> from symcount.render.context import report_context
        >>> context = report_context(evaluate(load_derivation("seq2seq")))
        >>> print(context["numbers"]["value"])
        384{,}000{,}000
    """
    layout = layout or Layout()
    values = resolve_values(evaluation.values)
    values = {s: v for s, v in values.items() if v.is_Integer}

    # Title and symbols, then the lemmas and how the network composes them.
    context: dict[str, Any] = {
        "doc": _header(evaluation),
        "symbols": _symbols(evaluation),
    }
    context["lemmas"] = lemmas(evaluation.count.parts, evaluation.convention)
    context["graph"] = _graph(
        evaluation.derivation.network, evaluation.count, layout
    )
    context["composition"] = _composition(evaluation)

    # The algebra and the numbers.
    context["algebra"] = _algebra(evaluation, values)
    context["numbers"] = _numbers(evaluation, values, layout)

    # What the paper claims, under the three conventions, and the solving.
    context["claims"] = _claims(evaluation)
    context["conventions"] = _conventions(evaluation, values)
    context["solving"] = (
        None if solution is None else _solving(solution, evaluation, layout)
    )
    return context
