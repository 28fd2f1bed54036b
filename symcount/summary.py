"""Plain-text tables and JSON-ready dicts of evaluations and solutions.

These build strings and dicts; printing them is the CLI's job.
"""

from __future__ import annotations

from typing import Any

import sympy

from symcount.count import closed_form
from symcount.evaluate import Evaluation
from symcount.solve import Solution
from symcount.verify import Comparison, Verification

__all__ = [
    "check_table",
    "derive_json",
    "derive_table",
    "number",
    "solve_json",
    "solve_text",
    "verify_json",
    "verify_table",
]


def number(value: int | sympy.Expr) -> str:
    """Formats a count with thousands separators, or the expression if symbolic.

    Example:
        >>> from symcount.summary import number
        >>> number(384144000)
        '384,144,000'
    """
    value = sympy.sympify(value)
    return f"{int(value):,}" if value.is_Integer else str(value)


def _rows_to_text(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return lines


def _share(part: sympy.Expr, total: sympy.Expr) -> str:
    if part.is_number and total.is_number and total != 0:
        return f"{100 * float(part) / float(total):.1f}%"
    return ""


def derive_table(result: Evaluation) -> str:
    """The breakdown table, subtotals, closed form and claims of an evaluation."""
    count, numbers = result.count, result.numbers
    title = f"{result.derivation.name}: {result.derivation.title}"
    lines = [title, f"convention: {result.convention.value}", ""]

    rows = [["node", "kind", "formula", "value", "share"]]
    for part, value in zip(count.parts, numbers.parts, strict=True):
        rows.append([part.name, part.layer.kind, str(closed_form(part.expression)),
                     number(value.expression), _share(value.expression, numbers.total)])
    rows.append(["total", "", "", number(numbers.total), "100.0%"])
    lines += _rows_to_text(rows, right={3, 4})

    for title, symbolic, table in (("group", count.groups, numbers.groups),
                                   ("tag", count.tags, numbers.tags)):
        if symbolic:
            lines.append("")
            rows = [[title, "formula", "value", "share"]]
            for name, expr in symbolic.items():
                rows.append([name, str(closed_form(expr)), number(table[name]),
                             _share(table[name], numbers.total)])
            lines += _rows_to_text(rows, right={2, 3})

    lines += ["", f"N = {count.closed_form}", f"  = {number(numbers.total)}"]
    if count.active is not None and sympy.expand(count.active - count.total) != 0:
        lines.append(f"active per token: {closed_form(count.active)} = "
                     f"{number(numbers.active)}")
    if count.buffers != 0:
        lines.append(f"buffers (saved, not trained; not in N): "
                     f"{closed_form(count.buffers)} = {number(numbers.buffers)}")
    if result.claims:
        lines.append("")
        rows = [["claim", "stated", "derived", "status"]]
        for check in result.claims:
            status = check.status
            if not check.holds:
                status += f" (gap {check.gap:+,})"
            rows.append([check.claim.name, number(check.claim.value),
                         number(check.derived), status])
        lines += _rows_to_text(rows, right={1, 2})
    return "\n".join(lines)


def derive_json(result: Evaluation) -> dict[str, Any]:
    """The JSON document of ``symcount derive --json``."""
    count, numbers = result.count, result.numbers

    def entry(expr: sympy.Expr, value: sympy.Expr) -> dict[str, Any]:
        return {"expression": str(closed_form(expr)), "value": _plain(value)}

    return {
        "name": result.derivation.name,
        "title": result.derivation.title,
        "convention": result.convention.value,
        "symbols": {
            info.name: {"meaning": info.meaning,
                        "value": _plain(result.values.get(info.symbol))}
            for info in result.derivation.symbols
        },
        "total": {**entry(count.total, numbers.total),
                  "latex": sympy.latex(count.closed_form)},
        "active": entry(count.active, numbers.active),
        "buffers": entry(count.buffers, numbers.buffers),
        "parts": [{"name": p.name, "kind": p.layer.kind,
                   **entry(p.expression, v.expression)}
                  for p, v in zip(count.parts, numbers.parts, strict=True)],
        "groups": {k: entry(v, numbers.groups[k]) for k, v in count.groups.items()},
        "tags": {k: entry(v, numbers.tags[k]) for k, v in count.tags.items()},
        "claims": [{"name": c.claim.name, "of": c.claim.of, "quote": c.claim.quote,
                    "stated": c.claim.value, "rounding": c.claim.rounding,
                    "derived": c.derived, "holds": c.holds, "status": c.status,
                    "note": c.claim.note}
                   for c in result.claims],
    }


def _plain(value: sympy.Expr | None) -> int | str | None:
    if value is None:
        return None
    value = sympy.sympify(value)
    return int(value) if value.is_Integer else str(value)


def solve_text(solution: Solution) -> str:
    """One line per answer: the solution, or why there is none and the neighbours."""
    sym, target = solution.symbol, solution.target
    lines = [f"{solution.of}({sym}) = {solution.expression}",
             f"target: {number(target)}"]
    if solution.exact:
        for value in solution.solutions:
            lines.append(f"{sym} = {value}")
        return "\n".join(lines)
    if not solution.roots:
        lines.append(f"no positive {sym} gives {number(target)}")
        return "\n".join(lines)
    roots = ", ".join(f"{r:.4f}" for r in solution.roots)
    lines.append(f"no positive integer {sym} gives exactly {number(target)} "
                 f"(real solution {sym} = {roots}); nearest integers:")
    for near in solution.neighbours:
        lines.append(f"  {sym} = {near.value}: {number(near.total)} "
                     f"({near.difference(target):+,})")
    return "\n".join(lines)


def solve_json(solution: Solution) -> dict[str, Any]:
    """The JSON document of ``symcount solve --json``."""
    return {
        "symbol": str(solution.symbol),
        "target": solution.target,
        "of": solution.of,
        "expression": str(solution.expression),
        "solutions": list(solution.solutions),
        "exact": solution.exact,
        "roots": list(solution.roots),
        "neighbours": [{"value": n.value, "total": n.total,
                        "difference": n.difference(solution.target)}
                       for n in solution.neighbours],
    }


def check_table(results: list[Evaluation]) -> str:
    """One line per claim of every evaluation, with its status."""
    rows = [["derivation", "claim", "stated", "derived", "status"]]
    for result in results:
        for check in result.claims:
            status = check.status
            if not check.holds:
                status += f" (gap {check.gap:+,})"
            rows.append([result.derivation.name, check.claim.name,
                         number(check.claim.value), number(check.derived), status])
    return "\n".join(_rows_to_text(rows, right={2, 3}))


def _comparison_row(source: str, check: Comparison) -> list[str]:
    status = "agrees" if check.agrees else f"DIFFERS ({check.built - check.derived:+,})"
    return [source, check.name, number(check.derived), number(check.built), status]


def verify_table(result: Verification) -> str:
    """Each implementation's counts next to the derived ones, part by part."""
    derivation = result.evaluation.derivation
    lines = [f"{derivation.name}: {derivation.title}",
             "convention: pytorch; built on the meta device", ""]
    rows = [["implementation", "part", "derived", "built", "status"]]
    differ = 0
    for implementation in result.implementations:
        checks = [*implementation.parts, implementation.total]
        buffers = implementation.buffers
        if buffers is not None and (buffers.derived or buffers.built):
            checks.append(buffers)
        rows += [_comparison_row(implementation.source, c) for c in checks]
        differ += sum(not c.agrees for c in checks)
    lines += _rows_to_text(rows, right={2, 3})
    lines += ["", "every count agrees" if not differ else f"{differ} count(s) differ"]
    return "\n".join(lines)


def verify_json(result: Verification) -> dict[str, Any]:
    """The JSON document of ``symcount verify --json``."""

    def entry(check: Comparison) -> dict[str, Any]:
        return {"name": check.name, "derived": check.derived, "built": check.built,
                "agrees": check.agrees}

    return {
        "name": result.evaluation.derivation.name,
        "convention": "pytorch",
        "agrees": result.agrees,
        "implementations": [
            {"source": i.source, "agrees": i.agrees, "total": entry(i.total),
             "parts": [entry(c) for c in i.parts],
             "buffers": None if i.buffers is None else entry(i.buffers)}
            for i in result.implementations],
    }
