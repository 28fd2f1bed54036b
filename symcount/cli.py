"""The ``symcount`` command line: derive, solve, explore, check, verify and report.

This is the only module that prints. Bad input exits with status 2 and one line
naming what is wrong and what is accepted; a claim that fails, or a count that
an implementation does not hold, exits with 1.
Library modules are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import re
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
        alexnet...
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

    p = command("solve", _run_solve, "solve the count for unknown symbols")
    _add_derivation_options(p)
    p.add_argument("--target", dest="targets", action="append", default=[],
                   metavar="[OF=]T",
                   help="parameters wanted: 384M, 1.5B, 384e6 or 384000000; prefix "
                        "a subtotal as tag:recurrent=64M (repeatable, one per --for)")
    p.add_argument("--for", dest="unknowns", action="append", default=[],
                   metavar="SYM", help="a symbol to solve for (repeatable)")
    p.add_argument("--max", dest="maximize", metavar="SYM",
                   help="find the largest SYM whose count stays within --budget")
    p.add_argument("--budget", help="the most parameters allowed, with --max")
    p.add_argument("--multiple-of", type=int, default=1, metavar="K",
                   help="with --max: only multiples of K (e.g. 64)")
    p.add_argument("--plot", metavar="FILE",
                   help="also draw the count against the symbol (.pdf or .png)")
    p.add_argument("--of", default="total",
                   help="total (default), group:NAME, tag:NAME or node:NAME")

    p = command("sweep", _run_sweep, "evaluate the count over grids of values")
    _add_derivation_options(p)
    p.add_argument("--grid", dest="grids", action="append", default=[],
                   metavar="SYM=START:STOP:STEP",
                   help="values of a symbol, STOP included, or SYM=A,B,C "
                        "(repeatable)")
    p.add_argument("--of", dest="columns", action="append", default=[],
                   help="a subtotal to compute: total (default), group:NAME, ...")
    p.add_argument("--where", dest="conditions", action="append", default=[],
                   metavar="COND", help="keep rows where e.g. 'total<=1B'")
    p.add_argument("--csv", metavar="FILE", help="write every row to FILE as CSV")
    p.add_argument("--limit", type=int, default=20,
                   help="rows to print (default 20)")
    p.add_argument("--plot", metavar="FILE",
                   help="draw a heat map of two swept symbols (.pdf or .png)")

    p = command("explain", _run_explain,
                "dominant terms, marginal costs, shares and conventions")
    _add_derivation_options(p)
    p.add_argument("--plot", metavar="FILE",
                   help="draw each group's share of the count (.pdf or .png)")

    p = command("reconcile", _run_reconcile,
                "find single changes that make a paper's failing claims hold")
    _add_derivation_options(p)
    p.add_argument("--claim", help="reconcile this claim even if it holds")

    p = command("report", _run_report,
                "write the proof document: DIR/NAME.tex, and DIR/NAME.pdf if TeX "
                "is installed")
    _add_derivation_options(p, json=False)
    p.add_argument("-o", "--output", default="reports", metavar="DIR",
                   help="the folder to write into (default: reports/)")
    p.add_argument("--solve", dest="unknown", metavar="SYM",
                   help="add a section solving the count = --target for SYM")
    p.add_argument("--target",
                   help="parameters wanted, with --solve: 384M, 1.5B or 384000000")
    p.add_argument("--of", default="total",
                   help="with --solve: total (default), group:NAME, tag:NAME or "
                        "node:NAME")
    p.add_argument("--pdf", action="store_true",
                   help="fail (status 2) unless the PDF can be made")

    p = command("check", _run_check, "check the papers' claims (all if none named)")
    p.add_argument("derivations", nargs="*", metavar="NAME|PATH")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("verify", _run_verify, "build the network in torch.nn (and "
                "HuggingFace) on the meta device and compare its parameter count "
                "with the derived one, under the pytorch convention")
    _add_derivation_options(p, convention=False)

    p = command("export", _run_export, "write a derivation file from a catalogue "
                "entry, a HuggingFace config or a PyTorch module")
    p.add_argument("derivation", nargs="?", metavar="NAME|PATH",
                   help="a catalogue name or a .toml file")
    _add_hf_options(p)
    p.add_argument("--module", metavar="PACKAGE.MODULE:FACTORY",
                   help="import PACKAGE.MODULE and call FACTORY() for the model: "
                        "this runs that code; the model is built on the meta device")
    p.add_argument("--symbolize", action="append", default=[],
                   metavar="N=NAME|KIND.FIELD=NAME",
                   help="with --module: name a size, e.g. 768=d_model, "
                        "3072=4*d_model or LSTM.hidden_size=n (repeatable; "
                        "default: name every size that repeats)")
    p.add_argument("--name", help="with --module: the network's name")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the file to write (default: print it)")
    return parser


def _add_hf_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hf-config", metavar="FILE",
                   help="a HuggingFace config.json instead of NAME|PATH")
    p.add_argument("--hf-class", metavar="NAME",
                   help="with --hf-config: the model class to count (default: "
                        "the file's architectures, else the family's usual one)")


def _add_derivation_options(
    p: argparse.ArgumentParser, *, json: bool = True, convention: bool = True
) -> None:
    p.add_argument("derivation", metavar="NAME|PATH", nargs="?",
                   help="a catalogue name (see 'symcount list') or a .toml file")
    _add_hf_options(p)
    if convention:
        p.add_argument("--convention", choices=_CONVENTIONS,
                       help="bias convention (default: the derivation's own)")
    p.add_argument("--set", dest="assignments", action="append", default=[],
                   metavar="SYM=VALUE",
                   help="override a value; VALUE is a number or an expression of "
                        "other symbols, e.g. n=d (repeatable)")
    if json:
        p.add_argument("--json", action="store_true", help="print JSON")


def _emit(
    args: argparse.Namespace,
    document: Callable[[], Any],
    text: Callable[[], str],
) -> None:
    """Prints JSON or text; only the one asked for is built."""
    if args.json:
        print(json.dumps(document(), indent=2))
    else:
        print(text())


def _load(args: argparse.Namespace):
    """The derivation named by NAME|PATH, or built from ``--hf-config``."""
    from symcount.derivation import load_derivation
    from symcount.errors import InputError

    if args.hf_config is not None:
        if args.derivation is not None:
            raise InputError("give NAME|PATH or --hf-config FILE, not both")
        from symcount.hf_config import load_hf_config

        return load_hf_config(args.hf_config, model_class=args.hf_class)
    if args.hf_class is not None:
        raise InputError("--hf-class goes with --hf-config FILE")
    if args.derivation is None:
        raise InputError("a derivation is required: NAME|PATH (see 'symcount "
                         "list'), or --hf-config config.json")
    return load_derivation(args.derivation)


def _evaluate(args: argparse.Namespace):
    from symcount.errors import InputError
    from symcount.evaluate import evaluate

    plot = getattr(args, "plot", None)
    if plot and not plot.lower().endswith((".pdf", ".png")):
        raise InputError(f"--plot {plot}: write a .pdf or a .png file")
    derivation = _load(args)
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
    _emit(args, lambda: document, lambda: text)
    return 0


def _run_derive(args: argparse.Namespace) -> int:
    from symcount.summary import derive_json, derive_table

    result = _evaluate(args)
    _emit(args, lambda: derive_json(result), lambda: derive_table(result))
    return 0


def _run_solve(args: argparse.Namespace) -> int:
    from symcount.expressions import count_rounding, parse_count

    # Read the targets before loading anything heavy: a refusal is immediate.
    targets = []
    for text in args.targets:
        # "tag:recurrent=64M" names a subtotal; anything else is a count.
        prefix = re.match(r"(total|(?:group|tag|node):[^=]+)=", text)
        of = prefix[1] if prefix else args.of
        value = text[prefix.end():] if prefix else text
        targets.append((of, value, parse_count(value, where="--target")))
    budget = None if args.budget is None else parse_count(args.budget,
                                                          where="--budget")

    from symcount import summary
    from symcount.errors import InputError
    from symcount.solve import maximize, solve_for, solve_system

    if args.maximize and (targets or args.unknowns or budget is None):
        raise InputError("--max SYM takes --budget B, without --target/--for")
    if not args.maximize and (not targets or len(targets) != len(args.unknowns)):
        raise InputError("give one --target per --for (e.g. --target 384M --for d), "
                         "or --max SYM --budget B")
    result = _evaluate(args)
    symbols = result.derivation.symbol_table

    def symbol(name: str, option: str):
        if name not in symbols:
            raise InputError(f"{option} {name}: unknown symbol; declared symbols: "
                             + ", ".join(symbols))
        return symbols[name]

    if args.maximize:
        answer = maximize(result.count, symbol(args.maximize, "--max"), budget,
                          result.values, of=args.of,
                          multiple_of=_positive(args.multiple_of, "--multiple-of"))
        _emit(args, lambda: summary.budget_json(answer),
              lambda: summary.budget_text(answer))
        _plot(args, "budget_figure", answer)
        return 0

    unknowns = [symbol(name, "--for") for name in args.unknowns]
    if len(unknowns) == 1:
        of, text, target = targets[0]
        solution = solve_for(result.count, unknowns[0], target, result.values,
                             of=of, rounding=count_rounding(text))
        _emit(args, lambda: summary.solve_json(solution),
              lambda: summary.solve_text(solution))
        _plot(args, "solution_figure", solution)
        return 0
    if args.plot:
        raise InputError("--plot draws one unknown; solve for one symbol to plot")
    system = solve_system(result.count, [(of, t) for of, _, t in targets], unknowns,
                          result.values)
    _emit(args, lambda: summary.system_json(system),
              lambda: summary.system_text(system))
    return 0


def _run_sweep(args: argparse.Namespace) -> int:
    import csv

    from symcount import summary
    from symcount.errors import InputError
    from symcount.sweep import parse_condition, parse_grid, sweep

    result = _evaluate(args)
    if not args.grids:
        raise InputError("give at least one --grid SYM=START:STOP:STEP")
    grids = dict(parse_grid(text, result.derivation.symbol_table)
                 for text in args.grids)
    conditions = [parse_condition(text) for text in args.conditions]
    answer = sweep(result.count, grids, result.values,
                   of=args.columns or ["total"], where=conditions,
                   progress=_progress_bar())
    if args.csv:
        with open(args.csv, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(answer.columns)
            writer.writerows(answer.rows())
    limit = _positive(args.limit, "--limit") if not args.json else len(answer)
    _emit(args, lambda: summary.sweep_json(answer),
              lambda: summary.sweep_text(answer, limit))
    _plot(args, "heatmap_figure", answer)
    return 0


def _progress_bar() -> Callable[[int, int], None] | None:
    """A progress bar on standard error for sweeps of many points, if a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, points: int) -> None:
        if points < 5_000_000:
            return
        filled = 30 * done // points
        bar = "#" * filled + "." * (30 - filled)
        end = "\n" if done == points else ""
        print(f"\r[{bar}] {done:,}/{points:,} points", end=end, file=sys.stderr)

    return show


def _run_explain(args: argparse.Namespace) -> int:
    from symcount import summary
    from symcount.explain import explain

    result = _evaluate(args)
    answer = explain(result)
    _emit(args, lambda: summary.explain_json(answer),
              lambda: summary.explain_text(answer))
    parts = answer.groups or tuple(
        (p.name, int(p.expression)) for p in result.numbers.parts
    )
    _plot(args, "shares_figure", parts, f"shares of {result.derivation.name}")
    return 0


def _run_reconcile(args: argparse.Namespace) -> int:
    from symcount import summary
    from symcount.reconcile import reconcile

    answers = reconcile(_evaluate(args), args.claim)
    _emit(args, lambda: summary.reconcile_json(answers),
          lambda: summary.reconcile_text(answers))
    return 0


def _plot(args: argparse.Namespace, figure: str, *inputs: Any) -> None:
    """Draws ``figure`` of ``inputs`` to ``--plot FILE``, if the option was given."""
    if not getattr(args, "plot", None):
        return
    from symcount.render import plots

    path = plots.write_figure(getattr(plots, figure)(*inputs), args.plot)
    print(f"wrote {path}", file=sys.stderr if args.json else sys.stdout)


def _positive(value: int, option: str) -> int:
    from symcount.errors import InputError

    if value < 1:
        raise InputError(f"{option} {value}: must be a positive integer")
    return value


def _run_report(args: argparse.Namespace) -> int:
    from symcount.errors import InputError
    from symcount.expressions import parse_count
    from symcount.render import INSTALL_COMMAND, write_report
    from symcount.solve import solve_for

    if (args.unknown is None) != (args.target is None):
        raise InputError("--solve SYM and --target T go together, e.g. "
                         "--solve d --target 384M")
    target = None if args.target is None else parse_count(args.target,
                                                          where="--target")
    result = _evaluate(args)
    solution = None
    if args.unknown is not None:
        symbols = result.derivation.symbol_table
        if args.unknown not in symbols:
            raise InputError(f"--solve {args.unknown}: unknown symbol; declared "
                             "symbols: " + ", ".join(symbols))
        result.count.subtotal(args.of)
        solution = solve_for(result.count, symbols[args.unknown], target,
                             result.values, of=args.of)

    files = write_report(result, args.output, solution, pdf=True if args.pdf else None)
    print(f"wrote {files.tex}")
    if files.pdf is not None:
        print(f"wrote {files.pdf}")
        for line in files.overfull:
            print(f"note: {line} (LaTeX log)")
    else:
        print("no PDF: LaTeX (latexmk or pdflatex) is not installed. To get one, "
              f"install it:\n  {INSTALL_COMMAND}\nthen run this command again, "
              f"or: cd {files.tex.parent} && latexmk -pdf {files.tex.name}")
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
    _emit(args, lambda: document, lambda: check_table(results))
    failed = any(c.status == "fails" for r in results for c in r.claims)
    return 1 if failed else 0


def _run_verify(args: argparse.Namespace) -> int:
    from symcount.summary import verify_json, verify_table
    from symcount.verify import verify

    derivation = _load(args)
    overrides = _assignments(args.assignments, derivation.symbol_table)
    result = verify(derivation, overrides)
    _emit(args, lambda: verify_json(result), lambda: verify_table(result))
    return 0 if result.agrees else 1


def _run_export(args: argparse.Namespace) -> int:
    import warnings

    from symcount.derivation import load_derivation
    from symcount.errors import InputError
    from symcount.export import derivation_toml, imported_derivation

    sources = [args.derivation, args.hf_config, args.module]
    if sum(source is not None for source in sources) != 1:
        raise InputError("give one of NAME|PATH, --hf-config FILE or --module "
                         "PACKAGE.MODULE:FACTORY")
    if args.module is None and (args.symbolize or args.name):
        raise InputError("--symbolize and --name go with --module")
    if args.module is not None:
        from symcount.torch_import import call_factory, from_torch

        model = call_factory(args.module)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            network = from_torch(model, name=args.name,
                                 symbolize=_symbolize(args.symbolize))
        for warning in caught:
            print(f"symcount: warning: {warning.message}", file=sys.stderr)
        built = sum(p.numel() for p in model.parameters())
        derivation = imported_derivation(network, source=args.module, built=built)
    elif args.derivation is not None and ":" in args.derivation and not \
            args.derivation.endswith(".toml"):
        raise InputError(f"{args.derivation!r} looks like a module; to import it "
                         f"and call it (this runs its code): --module "
                         f"{args.derivation}")
    else:
        derivation = _load(args)

    text = derivation_toml(derivation)
    if args.output is None:
        print(text, end="")
        return 0
    with open(args.output, "w", encoding="utf-8") as file:
        file.write(text)
    loaded = load_derivation(args.output)
    print(f"wrote {args.output}: {len(loaded.network)} nodes, "
          f"{len(loaded.symbols)} symbols; try: symcount derive {args.output}")
    return 0


def _symbolize(texts: list[str]) -> dict[int | str, str] | str:
    """``--symbolize`` options as from_torch takes them; none means 'auto'."""
    from symcount.errors import InputError

    if not texts:
        return "auto"
    rules: dict[int | str, str] = {}
    for text in texts:
        key, sep, value = text.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise InputError(f"--symbolize {text}: expected N=NAME or "
                             "KIND.FIELD=NAME, e.g. --symbolize 768=d_model")
        rules[int(key) if key.isdigit() else key] = value.strip()
    return rules
