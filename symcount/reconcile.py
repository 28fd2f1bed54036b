"""Reconciling a paper's printed count with its own stated values.

For a claim that does not hold, each single change that would make it hold at
the paper's rounding is a candidate:

- a symbol's value, moved to the nearest value that makes the claim hold;
- another bias convention;
- a tie removed, or an output layer tied to an embedding of the same shape;
- one layer's bias switched on or off.

Candidates are ranked by how small a change they need: first values the
paper itself gives only roughly (``approximate = true`` in the derivation,
e.g. "about 37000 tokens"), then switches that change no stated number, then
exactly stated values; within each rank, by the relative change of the value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

import sympy

from symcount.conventions import Convention
from symcount.count import count_parameters
from symcount.errors import InputError, UnsolvableError
from symcount.evaluate import ClaimCheck, Evaluation, check_claim
from symcount.graph import Network, Tie
from symcount.layers import Embedding, Layer, Linear
from symcount.solve import integer_ranges
from symcount.symbols import resolve_values

__all__ = ["Candidate", "Reconciliation", "reconcile"]

_APPROXIMATE, _SWITCH, _STATED = 0, 1, 2
_MAX_TRIES = 512


@dataclass(frozen=True)
class Candidate:
    """One change that makes a claim hold.

    Attributes:
        kind: ``symbol``, ``convention``, ``tie``, ``untie`` or ``bias``.
        change: What changes, in words, e.g. ``n_vocab: 37000 -> 40560``.
        derived: The claim's subtotal after the change.
        rank: 0 for a roughly stated value, 1 for a switch, 2 for a stated value.
        relative: The relative change of the value (0 for a switch).
        values: For a symbol: every value that makes the claim hold, as ranges.
    """

    kind: str
    change: str
    derived: int
    rank: int
    relative: float
    values: tuple[tuple[int, int | None], ...] = ()


@dataclass(frozen=True)
class Reconciliation:
    """A claim, as checked, and the ranked changes that would make it hold."""

    check: ClaimCheck
    candidates: tuple[Candidate, ...]


def reconcile(
    result: Evaluation, claim: str | None = None
) -> tuple[Reconciliation, ...]:
    """Searches single changes that make failing claims hold, ranked.

    Args:
        result: An evaluated derivation.
        claim: A claim's name to reconcile even if it holds; ``None`` for
            every claim that does not hold.

    Raises:
        InputError: If ``claim`` names no claim.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.evaluate import evaluate
        >>> from symcount.reconcile import reconcile
        >>> answer = reconcile(evaluate(load_derivation("seq2seq")), "total")
        >>> answer[0].check.holds
        True
        >>> answer[0].candidates[0].change
        'count under the keras convention'
    """
    checks = [
        c for c in result.claims if (c.claim.name == claim if claim else not c.holds)
    ]
    if claim and not checks:
        names = ", ".join(c.claim.name for c in result.claims) or "none"
        raise InputError(f"no claim {claim!r}; claims: {names}")
    return tuple(
        Reconciliation(
            check,
            tuple(
                sorted(_candidates(result, check), key=lambda c: (c.rank, c.relative))
            ),
        )
        for check in checks
    )


def _candidates(result: Evaluation, check: ClaimCheck) -> Iterator[Candidate]:
    yield from _symbol_candidates(result, check)
    network = result.derivation.network
    convention = check.claim.convention or result.convention
    for other in Convention:
        if other is not convention:
            yield from _try(
                result,
                check,
                network,
                other,
                "convention",
                f"count under the {other.value} convention",
            )
    for tie in network.ties:
        untied = network.copy()
        untied.ties = [t for t in untied.ties if t != tie]
        yield from _try(
            result,
            check,
            untied,
            convention,
            "untie",
            f"untie {tie.alias} from {tie.owner}",
        )
    for alias, owner in _tie_options(network, convention):
        tied = network.copy()
        tied.ties.append(Tie(alias, owner))
        yield from _try(
            result, check, tied, convention, "tie", f"tie {alias} to {owner}"
        )
    for node in network.G.nodes:
        layer = network.G.nodes[node]["layer"]
        if not hasattr(layer, "bias"):
            continue
        flipped = not convention.has_bias(layer.bias)
        changed = network.copy()
        changed.G.nodes[node]["layer"] = dataclasses.replace(layer, bias=flipped)
        word = "on" if flipped else "off"
        yield from _try(
            result, check, changed, convention, "bias", f"switch {node}'s bias {word}"
        )


def _symbol_candidates(result: Evaluation, check: ClaimCheck) -> Iterator[Candidate]:
    claim = check.claim
    convention = claim.convention or result.convention
    count = result.count
    if convention is not result.convention:
        count = count_parameters(result.derivation.network, convention)
    values = resolve_values(result.values)
    half = sympy.Rational(claim.rounding, 2)
    low, high = math.ceil(claim.value - half), math.ceil(claim.value + half)
    for info in result.derivation.symbols:
        x = info.symbol
        if x not in values or not values[x].is_Integer:
            continue
        others = {s: v for s, v in values.items() if s != x}
        expr = sympy.expand(count.subtotal(claim.of).xreplace(others))
        if x not in expr.free_symbols:
            continue
        try:
            ranges = integer_ranges(expr, x, low, high)
        except UnsolvableError:
            continue
        if not ranges:
            continue
        old = int(values[x])
        new = _nearest_valid(result.derivation.network, values, x, old, ranges)
        if new is None:
            continue
        relative = abs(new - old) / old
        note = " (holds as stated)" if new == old else f" ({(new - old) / old:+.1%})"
        yield Candidate(
            kind="symbol",
            change=f"{x}: {old} -> {new}{note}",
            derived=int(expr.subs(x, new)),
            rank=_APPROXIMATE if info.approximate else _STATED,
            relative=relative,
            values=ranges,
        )


def _nearest_valid(
    network: Network,
    values: dict[sympy.Symbol, sympy.Expr],
    x: sympy.Symbol,
    old: int,
    ranges: tuple[tuple[int, int | None], ...],
) -> int | None:
    """The value in ``ranges`` nearest ``old`` that every layer accepts.

    Layers refuse some sizes, e.g. a ``d_model`` that ``n_head`` does not
    divide; such a value cannot explain a paper's count.
    """
    layers = list(network.layers().values())
    tried = 0
    for distance in range(_MAX_TRIES):
        for value in {old - distance, old + distance}:
            if value >= 1 and any(_inside(r, value) for r in ranges):
                tried += 1
                if _accepts(layers, {**values, x: sympy.Integer(value)}):
                    return value
        if tried >= _MAX_TRIES:
            break
    starts = sorted({_nearest(r, old) for r in ranges}, key=lambda v: abs(v - old))
    for value in starts[:_MAX_TRIES]:
        if _accepts(layers, {**values, x: sympy.Integer(value)}):
            return value
    return None


def _inside(bounds: tuple[int, int | None], value: int) -> bool:
    start, stop = bounds
    return value >= start and (stop is None or value <= stop)


def _accepts(layers: list[Layer], values: dict[sympy.Symbol, sympy.Expr]) -> bool:
    """Whether every layer can be built with ``values`` put in its sizes."""
    for layer in layers:
        changes = {
            f.name: getattr(layer, f.name).xreplace(values)
            for f in dataclasses.fields(layer)
            if isinstance(getattr(layer, f.name), sympy.Basic)
        }
        try:
            dataclasses.replace(layer, **changes)
        except (InputError, TypeError, ValueError):
            return False
    return True


def _nearest(bounds: tuple[int, int | None], value: int) -> int:
    start, stop = bounds
    if value < start:
        return start
    if stop is not None and value > stop:
        return stop
    return value


def _tie_options(network: Network, convention: Convention) -> Iterator[tuple[str, str]]:
    """Output layers whose weight has the shape of an untied embedding's."""
    layers = network.layers()
    tied = {t.alias for t in network.ties}
    for out, layer in layers.items():
        if not isinstance(layer, Linear) or f"{out}.weight" in tied:
            continue
        for source, other in layers.items():
            if isinstance(other, Embedding) and (
                sympy.expand(layer.out_features - other.num_embeddings) == 0
                and sympy.expand(layer.in_features - other.embedding_dim) == 0
            ):
                yield f"{out}.weight", f"{source}.weight"


def _try(
    result: Evaluation,
    check: ClaimCheck,
    network: Network,
    convention: Convention,
    kind: str,
    change: str,
) -> Iterator[Candidate]:
    try:
        count = count_parameters(network, convention).subs(result.values)
        derived = count.value(check.claim.of)
    except InputError:
        return
    if check_claim(check.claim, derived).holds:
        yield Candidate(kind, change, derived, _SWITCH, 0.0)
