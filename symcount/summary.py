"""Plain-text tables and JSON-ready dicts of evaluations and solutions.

These build strings and dicts; printing them is the CLI's job.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import sympy

from symcount.count import closed_form

if TYPE_CHECKING:
    from symcount.evaluate import Evaluation
    from symcount.explain import Explanation
    from symcount.reconcile import Reconciliation
    from symcount.solve import Budget, Range, Solution, SystemSolution
    from symcount.sweep import SweepResult
    from symcount.verify import Comparison, Verification

__all__ = [
    "budget_json",
    "budget_text",
    "check_table",
    "derive_json",
    "derive_table",
    "explain_json",
    "explain_text",
    "number",
    "reconcile_json",
    "reconcile_text",
    "solve_json",
    "solve_text",
    "sweep_json",
    "sweep_text",
    "system_json",
    "system_text",
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
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _share(part: sympy.Expr, total: sympy.Expr) -> str:
    part, total = sympy.sympify(part), sympy.sympify(total)
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
        rows.append(
            [
                part.name,
                part.layer.kind,
                str(closed_form(part.expression)),
                number(value.expression),
                _share(value.expression, numbers.total),
            ]
        )
    rows.append(["total", "", "", number(numbers.total), "100.0%"])
    lines += _rows_to_text(rows, right={3, 4})

    for title, symbolic, table in (
        ("group", count.groups, numbers.groups),
        ("tag", count.tags, numbers.tags),
    ):
        if symbolic:
            lines.append("")
            rows = [[title, "formula", "value", "share"]]
            for name, expr in symbolic.items():
                rows.append(
                    [
                        name,
                        str(closed_form(expr)),
                        number(table[name]),
                        _share(table[name], numbers.total),
                    ]
                )
            lines += _rows_to_text(rows, right={2, 3})

    lines += ["", f"N = {count.closed_form}", f"  = {number(numbers.total)}"]
    if count.active is not None and sympy.expand(count.active - count.total) != 0:
        lines.append(
            f"active per token: {closed_form(count.active)} = {number(numbers.active)}"
        )
    if count.buffers != 0:
        lines.append(
            f"buffers (saved, not trained; not in N): "
            f"{closed_form(count.buffers)} = {number(numbers.buffers)}"
        )
    if result.claims:
        lines.append("")
        rows = [["claim", "stated", "derived", "status"]]
        for check in result.claims:
            status = check.status
            if not check.holds:
                status += f" (gap {check.gap:+,})"
            rows.append(
                [
                    check.claim.name,
                    number(check.claim.value),
                    number(check.derived),
                    status,
                ]
            )
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
            info.name: {
                "meaning": info.meaning,
                "value": _plain(result.values.get(info.symbol)),
            }
            for info in result.derivation.symbols
        },
        "total": {
            **entry(count.total, numbers.total),
            "latex": sympy.latex(count.closed_form),
        },
        "active": entry(count.active, numbers.active),
        "buffers": entry(count.buffers, numbers.buffers),
        "parts": [
            {"name": p.name, "kind": p.layer.kind, **entry(p.expression, v.expression)}
            for p, v in zip(count.parts, numbers.parts, strict=True)
        ],
        "groups": {k: entry(v, numbers.groups[k]) for k, v in count.groups.items()},
        "tags": {k: entry(v, numbers.tags[k]) for k, v in count.tags.items()},
        "claims": [
            {
                "name": c.claim.name,
                "of": c.claim.of,
                "quote": c.claim.quote,
                "stated": c.claim.value,
                "rounding": c.claim.rounding,
                "derived": c.derived,
                "holds": c.holds,
                "status": c.status,
                "note": c.claim.note,
            }
            for c in result.claims
        ],
    }


def _plain(value: sympy.Expr | None) -> int | str | None:
    if value is None:
        return None
    value = sympy.sympify(value)
    return int(value) if value.is_Integer else str(value)


def solve_text(solution: Solution) -> str:
    """The solution, or why there is none and the neighbours; then the rounding."""
    sym, target = solution.symbol, solution.target
    lines = [
        f"{solution.of}({sym}) = {solution.expression}",
        f"target: {number(target)}",
    ]
    if solution.exact:
        lines += [f"{sym} = {value}" for value in solution.solutions]
    elif not solution.roots:
        lines.append(f"no positive {sym} gives {number(target)}")
    else:
        roots = ", ".join(f"{r:.4f}" for r in solution.roots)
        lines.append(
            f"no positive integer {sym} gives exactly {number(target)} "
            f"(real solution {sym} = {roots}); nearest integers:"
        )
        for near in solution.neighbours:
            lines.append(
                f"  {sym} = {near.value}: {number(near.total)} "
                f"({near.difference(target):+,})"
            )
    if solution.rounding > 1:
        shown = ", ".join(_range(r) for r in solution.ranges) or "none"
        lines.append(
            f"{sym} for which {solution.of} rounds to {number(target)} "
            f"(to the nearest {number(solution.rounding)}): {shown}"
        )
    return "\n".join(lines)


def _range(bounds: Range) -> str:
    start, stop = bounds
    if stop is None:
        return f"{start:,} and above"
    return f"{start:,}" if start == stop else f"{start:,} to {stop:,}"


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
        "neighbours": [
            {
                "value": n.value,
                "total": n.total,
                "difference": n.difference(solution.target),
            }
            for n in solution.neighbours
        ],
        "rounding": solution.rounding,
        "ranges": [list(r) for r in solution.ranges],
    }


def budget_text(answer: Budget) -> str:
    """The largest value within a budget, its total and the next step's."""
    sym = answer.symbol
    step = f" (multiple of {answer.multiple_of})" if answer.multiple_of > 1 else ""
    return "\n".join(
        [
            f"{answer.of}({sym}) = {answer.expression}",
            f"budget: {number(answer.budget)}",
            f"largest {sym}{step}: {sym} = {answer.value}, "
            f"{answer.of} = {number(answer.total)}",
            f"next: {sym} = {answer.value + answer.multiple_of} would need "
            f"{number(answer.next_total)}",
        ]
    )


def budget_json(answer: Budget) -> dict[str, Any]:
    """The JSON document of ``symcount solve --max``."""
    return {
        "symbol": str(answer.symbol),
        "budget": answer.budget,
        "of": answer.of,
        "expression": str(answer.expression),
        "multiple_of": answer.multiple_of,
        "value": answer.value,
        "total": answer.total,
        "next_total": answer.next_total,
    }


def system_text(system: SystemSolution) -> str:
    """The equations of a system and its positive solutions."""
    lines = [f"{expr} = 0" for expr in system.equations]
    for solution in system.solutions:
        lines.append(", ".join(f"{s} = {v}" for s, v in solution.items()))
    if not system.solutions:
        lines.append("no positive integer solution")
        for solution in system.real:
            values = ", ".join(f"{s} = {v:.4f}" for s, v in solution.items())
            lines.append(f"real solution: {values}")
    return "\n".join(lines)


def system_json(system: SystemSolution) -> dict[str, Any]:
    """The JSON document of ``symcount solve`` with several unknowns."""
    return {
        "symbols": [str(s) for s in system.symbols],
        "targets": [{"of": of, "target": t} for of, t in system.targets],
        "equations": [str(e) for e in system.equations],
        "solutions": [{str(s): v for s, v in x.items()} for x in system.solutions],
        "exact": system.exact,
        "real": [{str(s): v for s, v in x.items()} for x in system.real],
    }


def check_table(results: list[Evaluation]) -> str:
    """One line per claim of every evaluation, with its status."""
    rows = [["derivation", "claim", "stated", "derived", "status"]]
    for result in results:
        for check in result.claims:
            status = check.status
            if not check.holds:
                status += f" (gap {check.gap:+,})"
            rows.append(
                [
                    result.derivation.name,
                    check.claim.name,
                    number(check.claim.value),
                    number(check.derived),
                    status,
                ]
            )
    return "\n".join(_rows_to_text(rows, right={2, 3}))


def sweep_text(answer: SweepResult, limit: int) -> str:
    """The first ``limit`` rows of a sweep as a table, and how many there are."""
    rows = [list(answer.columns)]
    first = itertools.islice(answer.rows(), limit)
    rows += [[f"{v:,}" for v in row] for row in first]
    lines = _rows_to_text(rows, right=set(range(len(answer.columns))))
    shown = min(limit, len(answer))
    lines.append(f"{len(answer):,} of {answer.points:,} points kept; {shown} shown")
    return "\n".join(lines)


def sweep_json(answer: SweepResult) -> dict[str, Any]:
    """The JSON document of ``symcount sweep --json``: every kept row."""
    return {
        "columns": list(answer.columns),
        "points": answer.points,
        "rows": [list(row) for row in answer.rows()],
    }


def explain_text(answer: Explanation) -> str:
    """Symbols' effects, the largest terms, group shares and conventions."""
    total = answer.total
    rows = [["symbol", "value", "grows as", "dN/dx", "per unit", "elasticity"]]
    for e in answer.effects:
        rows.append(
            [
                str(e.symbol),
                number(e.value),
                str(e.dominant_at_values),
                str(e.derivative),
                number(e.marginal),
                f"{e.elasticity:.3f}",
            ]
        )
    lines = [f"N = {number(total)}", ""] + _rows_to_text(rows, right={1, 4, 5})

    rows = [["term", "value", "share"]]
    rows += [
        [str(t.expression), number(t.value), _share(t.value, total)]
        for t in answer.terms
    ]
    lines += [""] + _rows_to_text(rows, right={1, 2})

    if answer.groups:
        rows = [["group", "value", "share"]]
        rows += [[name, number(v), _share(v, total)] for name, v in answer.groups]
        lines += [""] + _rows_to_text(rows, right={1, 2})

    rows = [["convention", "total", "difference"]]
    rows += [[c.value, number(v), f"{v - total:+,}"] for c, v in answer.conventions]
    lines += [""] + _rows_to_text(rows, right={1, 2})
    return "\n".join(lines)


def explain_json(answer: Explanation) -> dict[str, Any]:
    """The JSON document of ``symcount explain --json``."""
    return {
        "total": answer.total,
        "symbols": {
            str(e.symbol): {
                "value": _plain(e.value),
                "degree": e.degree,
                "dominant": str(e.dominant),
                "dominant_at_values": str(e.dominant_at_values),
                "derivative": str(e.derivative),
                "marginal": _plain(e.marginal),
                "elasticity": e.elasticity,
            }
            for e in answer.effects
        },
        "terms": [{"term": str(t.expression), "value": t.value} for t in answer.terms],
        "groups": dict(answer.groups),
        "conventions": {c.value: v for c, v in answer.conventions},
    }


def reconcile_text(answers: tuple[Reconciliation, ...]) -> str:
    """Each claim, then its candidate changes, most plausible first."""
    if not answers:
        return "every claim holds; nothing to reconcile"
    lines = []
    for answer in answers:
        claim, check = answer.check.claim, answer.check
        lines.append(
            f"claim {claim.name!r} ({claim.of}): stated {number(claim.value)} "
            f"(to the nearest {number(claim.rounding)}), derived "
            f"{number(check.derived)}, gap {check.gap:+,}"
        )
        if not answer.candidates:
            lines += ["  no single change makes it hold", ""]
            continue
        rows = [["#", "change", "derived", "holds for"]]
        for i, c in enumerate(answer.candidates, start=1):
            holds = ", ".join(_range(r) for r in c.values)
            rows.append([str(i), c.change, number(c.derived), holds])
        lines += ["  " + line for line in _rows_to_text(rows, right={0, 2})]
        lines.append("")
    return "\n".join(lines).rstrip()


def reconcile_json(answers: tuple[Reconciliation, ...]) -> list[dict[str, Any]]:
    """The JSON document of ``symcount reconcile --json``."""
    return [
        {
            "claim": a.check.claim.name,
            "stated": a.check.claim.value,
            "derived": a.check.derived,
            "candidates": [
                {
                    "kind": c.kind,
                    "change": c.change,
                    "derived": c.derived,
                    "rank": c.rank,
                    "relative": c.relative,
                    "values": [list(r) for r in c.values],
                }
                for c in a.candidates
            ],
        }
        for a in answers
    ]


def _comparison_row(source: str, check: Comparison) -> list[str]:
    status = "agrees" if check.agrees else f"DIFFERS ({check.built - check.derived:+,})"
    return [source, check.name, number(check.derived), number(check.built), status]


def verify_table(result: Verification) -> str:
    """Each implementation's counts next to the derived ones, part by part."""
    derivation = result.evaluation.derivation
    lines = [
        f"{derivation.name}: {derivation.title}",
        "convention: pytorch; built on the meta device",
        "",
    ]
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
        return {
            "name": check.name,
            "derived": check.derived,
            "built": check.built,
            "agrees": check.agrees,
        }

    return {
        "name": result.evaluation.derivation.name,
        "convention": "pytorch",
        "agrees": result.agrees,
        "implementations": [
            {
                "source": i.source,
                "agrees": i.agrees,
                "total": entry(i.total),
                "parts": [entry(c) for c in i.parts],
                "buffers": None if i.buffers is None else entry(i.buffers),
            }
            for i in result.implementations
        ],
    }
