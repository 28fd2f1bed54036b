"""The ``symcount`` command line: list, derive, solve and check derivations.

This is the only module that prints. Bad input exits with status 2 and one line
naming what is wrong and what is accepted; a claim that fails exits with 1.
Library modules are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["main"]

_CONVENTIONS = ("paper", "keras", "pytorch")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line and returns the exit status.

    Example:
        >>> from symcount.cli import main
        >>> main(["list"])  # doctest: +ELLIPSIS
        seq2seq...
        0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        # argparse has printed its usage and error (status 2), or the help.
        return exit.code if isinstance(exit.code, int) else 2
    from symcount.errors import SymcountError

    try:
        return args.run(args)
    except SymcountError as err:
        if args.debug:
            traceback.print_exc()
        print(f"symcount: error: {_one_line(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symcount: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        # Anything else is a bug in symcount, whatever the input: one line, and
        # the traceback only on request.
        if args.debug:
            traceback.print_exc()
        print(f"symcount: internal error: {type(err).__name__}: "
              f"{_one_line(str(err))[:200]}; this is a bug in symcount, "
              "rerun with --debug for the traceback", file=sys.stderr)
        return 2


def _one_line(text: str) -> str:
    """Escapes line breaks and control characters: an error is one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symcount",
        description="Derive, prove and solve parameter counts in closed form.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str):
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(run=run)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help=argparse.SUPPRESS)
        return p

    p = command("list", _run_list, "list the derivations in the catalogue")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("derive", _run_derive, "derive a network's parameter count")
    _add_derivation_options(p)

    p = command("solve", _run_solve, "solve the count = target for one symbol")
    _add_derivation_options(p)
    p.add_argument("--target", required=True,
                   help="parameters wanted: 384M, 1.5B, 384e6 or 384000000")
    p.add_argument("--for", dest="unknown", required=True, metavar="SYM",
                   help="the symbol to solve for")
    p.add_argument("--of", default="total",
                   help="total (default), group:NAME, tag:NAME or node:NAME")

    p = command("check", _run_check, "check the papers' claims (all if none named)")
    p.add_argument("derivations", nargs="*", metavar="NAME|PATH")
    p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _add_derivation_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("derivation", metavar="NAME|PATH",
                   help="a catalogue name (see 'symcount list') or a .toml file")
    p.add_argument("--convention", choices=_CONVENTIONS,
                   help="bias convention (default: the derivation's own)")
    p.add_argument("--set", dest="assignments", action="append", default=[],
                   metavar="SYM=VALUE",
                   help="override a value; VALUE is a number or an expression of "
                        "other symbols, e.g. n=d (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _emit(args: argparse.Namespace, document: Any, text: str) -> None:
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(text)


def _evaluate(args: argparse.Namespace):
    from symcount.derivation import load_derivation
    from symcount.errors import InputError
    from symcount.evaluate import evaluate

    derivation = load_derivation(args.derivation)
    overrides = _assignments(args.assignments, derivation.symbol_table)
    try:
        derivation.check_values(overrides)
    except InputError as err:
        options = " ".join(f"--set {text}" for text in args.assignments)
        raise InputError(f"{options}: {err}") from None
    return evaluate(derivation, args.convention, overrides)


def _assignments(texts: list[str], symbols: dict[str, Any]) -> dict[Any, Any]:
    """Parses ``--set SYM=VALUE`` options through the safe expression parser."""
    from symcount.errors import InputError
    from symcount.expressions import parse_expression

    values = {}
    for text in texts:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--set {text[:60]!r}: expected SYM=VALUE, e.g. "
                             "--set d=512")
        if name not in symbols:
            raise InputError(f"--set {name[:60]!r}: unknown symbol; declared "
                             "symbols: " + ", ".join(symbols))
        where = f"--set {name}"
        expr = parse_expression(value, symbols, where=where)
        if expr.is_number and not (expr.is_integer and expr.is_positive):
            raise InputError(f"{where}: {name} must be a positive integer or an "
                             "expression of other symbols, e.g. n=d")
        values[symbols[name]] = expr
    return values


def _run_list(args: argparse.Namespace) -> int:
    from symcount.derivation import catalogue, load_derivation

    entries = [load_derivation(name) for name in catalogue()]
    document = [{"name": d.name, "title": d.title,
                 "year": d.citation.get("year")} for d in entries]
    width = max((len(d.name) for d in entries), default=0)
    text = "\n".join(f"{d.name:<{width}}  {d.title} ({d.citation.get('year')})"
                     for d in entries)
    _emit(args, document, text)
    return 0


def _run_derive(args: argparse.Namespace) -> int:
    from symcount.summary import derive_json, derive_table

    result = _evaluate(args)
    _emit(args, derive_json(result), derive_table(result))
    return 0


def _run_solve(args: argparse.Namespace) -> int:
    from symcount.expressions import parse_count

    # Read the target before loading anything heavy: a refusal is immediate.
    target = parse_count(args.target, where="--target")

    from symcount.errors import InputError
    from symcount.solve import solve_for
    from symcount.summary import solve_json, solve_text

    result = _evaluate(args)
    symbols = result.derivation.symbol_table
    if args.unknown not in symbols:
        raise InputError(f"--for {args.unknown}: unknown symbol; declared symbols: "
                         + ", ".join(symbols))
    result.count.subtotal(args.of)
    solution = solve_for(result.count, symbols[args.unknown], target, result.values,
                         of=args.of)
    _emit(args, solve_json(solution), solve_text(solution))
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from symcount.derivation import catalogue, load_derivation
    from symcount.evaluate import evaluate
    from symcount.summary import check_table

    names = args.derivations or catalogue()
    results = [evaluate(load_derivation(name)) for name in names]
    document = [{"derivation": r.derivation.name, "claim": c.claim.name,
                 "stated": c.claim.value, "derived": c.derived, "holds": c.holds,
                 "status": c.status, "note": c.claim.note}
                for r in results for c in r.claims]
    _emit(args, document, check_table(results))
    failed = any(c.status == "fails" for r in results for c in r.claims)
    return 1 if failed else 0
