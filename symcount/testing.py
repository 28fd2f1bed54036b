"""A pytest helper: check your own module against a paper's derivation.

``assert_parameter_count(model, "seq2seq", convention="pytorch")`` passes when
the module's parameters (each shared tensor once) are as many as the
derivation gives. When they differ, the ``AssertionError`` lists the
derivation's nodes (formula and value) beside the module's count for the
submodule of the same name, so the part that differs is the first thing the
test report shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sympy

from symcount.conventions import Convention
from symcount.count import closed_form
from symcount.derivation import Derivation, load_derivation
from symcount.errors import InputError
from symcount.evaluate import evaluate
from symcount.expressions import parse_expression

__all__ = ["assert_parameter_count"]


def assert_parameter_count(
    module: Any,
    derivation: str | Path | Derivation,
    *,
    convention: Convention | str | None = None,
    values: Mapping[str, int | str] | None = None,
) -> int:
    """Asserts that ``module`` has as many parameters as ``derivation`` gives.

    Args:
        module: A ``torch.nn.Module`` (the meta device is fine).
        derivation: A catalogue name, a derivation file, or a loaded one.
        convention: The bias convention; ``None`` for the derivation's own.
            A torch.nn model has torch's biases: ``"pytorch"``.
        values: Values replacing the paper's, by symbol name, e.g. a small
            test size ``{"V_src": 1600}``; a value may be an expression of
            other symbols, ``{"n": "d"}``.

    Returns:
        The count, when it agrees.

    Raises:
        AssertionError: If the counts differ. The message shows each node's
            formula, derived value, the module's count for the submodule of
            the same name (by path, ``encoder`` or ``transformer.h``, or by its
            last name) and the difference, and the parameters no node matches.
        InputError: For an unknown symbol or a bad value.

    Example:
        >>> import torch
        >>> from symcount.testing import assert_parameter_count
        >>> class Decoder(torch.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.decoder = torch.nn.LSTM(1000, 1000, 4)
        >>> assert_parameter_count(Decoder(), "seq2seq", convention="pytorch")
        Traceback (most recent call last):
        ...
        AssertionError: Decoder has 32,032,000 parameters; seq2seq gives 384,144,000 ...
    """
    if not isinstance(derivation, Derivation):
        derivation = load_derivation(derivation)
    table = derivation.symbol_table
    overrides = {}
    for name, value in (values or {}).items():
        if name not in table:
            raise InputError(
                f"values: unknown symbol {name!r}; declared symbols: "
                + ", ".join(table)
            )
        overrides[table[name]] = (
            parse_expression(value, table, where=f"values[{name!r}]")
            if isinstance(value, str)
            else sympy.Integer(value)
        )
    result = evaluate(derivation, convention, overrides)
    derived = result.numbers.value()
    owners = _owners(module)
    built = sum(owners.values())
    if built == derived:
        return built

    # The counts differ: put each node beside the submodule of its name.
    paths = _paths(module)
    rows = [["", "node", "formula", "derived", "module", "difference"]]
    claimed: set[str] = set()
    for part, number in zip(
        result.count.parts, result.numbers.parts, strict=True
    ):
        value = int(number.expression)
        path = _match(part.name, paths)
        if path is None:
            rows.append(
                [
                    "?",
                    part.name,
                    str(closed_form(part.expression)),
                    f"{value:,}",
                    "",
                    "",
                ]
            )
            continue
        inside = {
            p
            for p in owners
            if p == path or p.startswith(path + ".") or not path
        }
        claimed |= inside
        own = sum(owners[p] for p in inside)
        gap = own - value
        rows.append(
            [
                "*" if gap else "",
                part.name,
                str(closed_form(part.expression)),
                f"{value:,}",
                f"{own:,}",
                f"{gap:+,}" if gap else "",
            ]
        )

    name = type(module).__name__
    lines = [
        f"{name} has {built:,} parameters; {derivation.name} gives "
        f"{derived:,} under the {result.convention.value} convention "
        f"(module - derived = {built - derived:+,})"
    ]
    lines += ["  " + line for line in _table(rows)]
    unmatched: dict[str, int] = {}
    for path in owners.keys() - claimed:
        top = path.split(".")[0]
        unmatched[top] = unmatched.get(top, 0) + owners[path]
    if unmatched:
        lines.append(
            "  module parameters no node names: "
            + ", ".join(
                f"{top} {count:,}" for top, count in sorted(unmatched.items())
            )
        )
    given = ", ".join(f"{s}={v}" for s, v in result.values.items())
    lines.append(f"  values: {given}")
    for other in Convention:
        if other is not result.convention:
            count = evaluate(derivation, other, overrides).numbers.value()
            if count == built:
                lines.append(
                    f"  under the {other.value} convention the derivation "
                    f"gives {count:,}: the module's count"
                )
    raise AssertionError("\n".join(lines))


def _owners(module: Any) -> dict[str, int]:
    """Each parameter's size under the name torch lists it by first."""
    return {name: int(p.numel()) for name, p in module.named_parameters()}


def _paths(module: Any) -> list[str]:
    return [name for name, _ in module.named_modules()]


def _match(node: str, paths: list[str]) -> str | None:
    """The submodule a node stands for: same path ('.' as '_'), or last name."""
    for path in paths:
        if re.sub(r"[^A-Za-z0-9_]", "_", path) == node:
            return path
    last = [p for p in paths if p.rpartition(".")[2] == node]
    return last[0] if len(last) == 1 else None


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {3, 4, 5}
    return [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
