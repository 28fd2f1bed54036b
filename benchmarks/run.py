"""Benchmarks symcount against building the model, and writes benchmarks/results.md.

Run from the repository root, after ``pip install -e '.[verify]'``:

    python benchmarks/run.py            # every benchmark, about two minutes
    python benchmarks/run.py --quick    # fewer repetitions

Each benchmark prints its ratio next to its target; the exit status is 0 when
every target is met. Timings are the minimum over repetitions (the least
disturbed run), measured in this one process or in fresh subprocesses where
start-up is the point.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sympy.core.cache import clear_cache

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.md"
_LOOPS = 20
_PEAK = (
    "import sys; print([l.split()[1] for l in open('/proc/self/status') "
    "if l.startswith('VmHWM')][0], file=sys.stderr)"
)
"""Prints the process's own peak RSS in KiB. ``ru_maxrss`` would not do: Linux
keeps the parent's peak across fork and exec, and this script holds torch."""
"""Derives per timing in the depth benchmark, so that one run is not a few ms."""


@dataclass(frozen=True)
class Result:
    """One benchmark: what was measured, its ratio, and the target."""

    name: str
    measured: str
    ratio: float
    target: str
    met: bool
    note: str = ""


def best(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``run``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def cold(function: Callable[..., object], *args: object) -> object:
    """Calls ``function`` with SymPy's cache emptied first, as a new process would.

    Without this, a repeated small benchmark finds its results cached while a
    large one overflows the cache, and the two are not comparable.
    """
    clear_cache()
    return function(*args)


def wall(command: list[str], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``command`` in a fresh process."""
    return best(
        lambda: subprocess.run(command, check=True, capture_output=True, cwd=ROOT),
        repeat,
    )


def cold_cli(repeat: int) -> Result:
    """`symcount derive seq2seq` in a fresh process against `import sympy`."""
    floor = wall([sys.executable, "-c", "import sympy"], repeat)
    derive = wall([sys.executable, "-m", "symcount", "derive", "seq2seq"], repeat)
    networkx = wall([sys.executable, "-c", "import sympy, networkx"], repeat)
    ratio = derive / floor
    note = (
        f"import sympy {floor:.2f} s; import sympy and networkx {networkx:.2f} s "
        f"({networkx / floor:.2f}x); derive {derive:.2f} s, "
        f"{derive / networkx:.2f}x the two imports. What is left over 1.5x is "
        "networkx's import, which loads all of its algorithms: symcount's graph "
        "is a networkx DiGraph, so that import is a floor of its own"
    )
    return Result(
        "cold CLI: derive seq2seq / import sympy",
        f"{derive:.2f} s",
        ratio,
        "<= 1.5x",
        ratio <= 1.5,
        note,
    )


def per_configuration(repeat: int) -> Result:
    """GPT-2 configs: HuggingFace on the meta device against the compiled form."""
    import numpy as np
    import sympy
    import torch
    import transformers

    from symcount.derivation import load_derivation
    from symcount.evaluate import evaluate
    from symcount.symbols import resolve_values

    result = evaluate(load_derivation("gpt2-small"), "pytorch")
    table = result.derivation.symbol_table
    width, depth = table["d_model"], table["n_layer"]
    others = {s: v for s, v in result.values.items() if s not in (width, depth)}
    fixed = resolve_values(others)
    closed = sympy.expand(result.count.total.xreplace(fixed))
    function = sympy.lambdify((width, depth), closed, modules="numpy")

    # GPT-2's four sizes (Radford et al. 2019, Table 2), built by HuggingFace.
    sizes = [(768, 12, 12), (1024, 24, 16), (1280, 36, 20), (1600, 48, 25)]

    def build(d_model: int, n_layer: int, n_head: int) -> int:
        config = transformers.GPT2Config(n_embd=d_model, n_layer=n_layer, n_head=n_head)
        with torch.device("meta"):
            model = transformers.GPT2LMHeadModel(config)
        return sum(p.numel() for p in model.parameters())

    built = {size: build(*size) for size in sizes}
    derived = {size: int(function(size[0], size[1])) for size in sizes}
    assert built == derived, (built, derived)
    hf = best(lambda: build(*sizes[0]), repeat)

    # The same closed form over 10^6 configurations at once.
    many = 1_000_000
    widths = np.arange(many, dtype=np.int64) % 4096 + 64
    depths = np.arange(many, dtype=np.int64) % 96 + 1
    symbolic = best(lambda: function(widths, depths), repeat) / many
    ratio = hf / symbolic
    note = (
        f"HuggingFace GPT2LMHeadModel on the meta device: {hf * 1e3:.0f} ms "
        f"per config; the compiled closed form: {symbolic * 1e9:.1f} ns per "
        f"config over 10^6 configs; equal counts for the four GPT-2 sizes "
        f"({', '.join(f'{v:,}' for v in built.values())})"
    )
    return Result(
        "per configuration: HuggingFace build / closed form",
        f"{hf * 1e3:.0f} ms vs {symbolic * 1e9:.1f} ns",
        ratio,
        ">= 1e5x",
        ratio >= 1e5,
        note,
    )


DEEP = """
title = "A deep stack"
[citation]
authors = ["symcount benchmarks"]
year = 2026
[symbols]
d = {{ meaning = "width", value = 512 }}
L = {{ meaning = "blocks", value = {L} }}
[layers.block]
kind = "TransformerEncoderLayer"
d_model = "d"
nhead = 8
dim_feedforward = "4*d"
[[repeats]]
name = "blocks"
nodes = ["block"]
times = "L"
"""


def depth(repeat: int) -> Result:
    """A repeated block of L = 10, 10^3, 10^6 layers: derive cost stays flat."""
    import torch

    from symcount.derivation import load_derivation
    from symcount.evaluate import evaluate

    def derive(path: Path) -> None:
        for _ in range(_LOOPS):
            cold(lambda: evaluate(load_derivation(path), "pytorch").numbers.value())

    # The sizes take turns, so that a busy moment slows them all alike.
    times: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for layers in (10, 1_000, 1_000_000):
            paths[layers] = Path(folder) / f"deep{layers}.toml"
            paths[layers].write_text(DEEP.format(L=layers))
        order = list(paths)
        for round_ in range(2 * repeat):
            # Rotate who goes first, and collect garbage, so no size is favoured.
            for layers in order[round_ % 3 :] + order[: round_ % 3]:
                gc.collect()
                took = best(lambda p=paths[layers]: derive(p), 1) / _LOOPS
                times[layers] = min(times.get(layers, took), took)

    def build(layers: int) -> int:
        with torch.device("meta"):
            stack = torch.nn.ModuleList(
                torch.nn.TransformerEncoderLayer(512, 8, 2048) for _ in range(layers)
            )
        return sum(p.numel() for p in stack.parameters())

    torch_times = {n: best(lambda n=n: build(n), 1) for n in (10, 1_000)}
    ratio = times[1_000_000] / times[10]
    note = (
        "derive: "
        + ", ".join(f"L={n:,}: {t * 1e3:.0f} ms" for n, t in times.items())
        + "; torch.nn on the meta device: "
        + ", ".join(f"L={n:,}: {t * 1e3:.0f} ms" for n, t in torch_times.items())
    )
    return Result(
        "depth: derive at L = 10^6 / L = 10",
        f"{ratio:.2f}x",
        ratio,
        "<= 1.1x",
        ratio <= 1.1,
        note,
    )


def breadth(repeat: int) -> Result:
    """10, 100 and 1,000 heterogeneous nodes: under 2 s and near-linear."""
    from symcount import count_parameters
    from symcount.graph import Network
    from symcount.layers import GRU, LSTM, RNN, Embedding, LayerNorm, Linear
    from symcount.symbols import dimension

    def network(size: int) -> Network:
        net = Network(f"wide{size}")
        widths = [dimension(f"w_{i}") for i in range(size)]
        net.add("n0", Embedding(dimension("V"), widths[0]))
        kinds = [
            lambda i: Linear(None, widths[i]),
            lambda i: LSTM(None, widths[i], 2),
            lambda i: GRU(None, widths[i], bidirectional=True),
            lambda i: RNN(None, widths[i]),
            lambda i: LayerNorm(widths[i - 1]),
        ]
        for i in range(1, size):
            net.add(
                f"n{i}", kinds[i % len(kinds)](i), group=f"g{i % 7}", tags=[f"t{i % 3}"]
            )
            net.connect(f"n{i - 1}", f"n{i}")
        return net

    times = {}
    for size in (10, 100, 1_000):
        net = network(size)
        times[size] = best(
            lambda net=net: cold(count_parameters, net, "pytorch"),
            max(1, repeat // 2),
        )
    growth = times[1_000] / times[100]
    met = times[1_000] < 2.0 and growth <= 15
    note = ", ".join(f"{n:,} nodes: {t:.3f} s" for n, t in times.items())
    note += f"; 10x the nodes costs {growth:.1f}x"
    return Result(
        "breadth: 1,000 nodes",
        f"{times[1_000]:.2f} s",
        growth,
        "< 2 s, near-linear",
        met,
        note,
    )


def report(repeat: int) -> Result:
    """`symcount report` against `symcount derive`, fresh processes, TeX hidden."""
    # Only Python's own folder on PATH: report finds no TeX and writes the .tex.
    hidden = {**os.environ, "PATH": str(Path(sys.executable).parent)}

    def run(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "symcount", *args],
            check=True,
            capture_output=True,
            cwd=ROOT,
            env=hidden,
        )

    with tempfile.TemporaryDirectory() as folder:
        tex = best(lambda: run("report", "seq2seq", "-o", folder), repeat)
        written = (Path(folder) / "seq2seq.tex").is_file()
        pdf = (Path(folder) / "seq2seq.pdf").exists()
    derive = best(lambda: run("derive", "seq2seq"), repeat)
    assert written and not pdf
    ratio = tex / derive
    note = f"derive {derive:.2f} s; report (.tex only) {tex:.2f} s; fresh processes"
    return Result(
        "report: .tex / derive", f"{tex:.2f} s", ratio, "<= 2x", ratio <= 2, note
    )


def memory() -> Result:
    """Peak resident memory of `derive` on each catalogue entry; the largest."""
    from symcount.derivation import catalogue

    def peak(code: str) -> float:
        done = subprocess.run(
            [sys.executable, "-c", f"{code}; {_PEAK}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return int(done.stderr.strip().splitlines()[-1]) / 1024

    peaks = {
        name: peak(f"from symcount.cli import main; main(['derive', {name!r}])")
        for name in catalogue()
    }
    worst = max(peaks, key=peaks.get)
    baseline = peak("import sympy, networkx")
    note = (
        f"largest: {worst} at {peaks[worst]:.0f} MiB; importing sympy and "
        f"networkx alone: {baseline:.0f} MiB"
    )
    return Result(
        "memory: peak RSS of derive",
        f"{peaks[worst]:.0f} MiB",
        peaks[worst],
        "reported",
        True,
        note,
    )


def profile() -> str:
    """The ten most expensive functions of `derive gpt3-175b`, by cumulative time."""
    from symcount.cli import main

    profiler = cProfile.Profile()
    sink = io.StringIO()
    stdout, sys.stdout = sys.stdout, sink
    try:
        profiler.runcall(main, ["derive", "gpt3-175b"])
    finally:
        sys.stdout = stdout
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(12)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    return "\n".join(lines[-14:])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python "
        f"{platform.python_version()} on {platform.system()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    sys.path.insert(0, str(ROOT))

    steps = [
        lambda: cold_cli(repeat),
        lambda: per_configuration(repeat),
        lambda: depth(repeat),
        lambda: breadth(repeat),
        lambda: report(repeat),
        memory,
    ]
    results = []
    for step in steps:
        result = step()
        results.append(result)
        mark = "met" if result.met else "MISSED"
        print(
            f"{result.name:<52} {result.measured:>22}  ratio {result.ratio:>10.3g}"
            f"  target {result.target:<18} {mark}"
        )
        print(f"    {result.note}")

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. Written by `python benchmarks/run.py` on "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| benchmark | measured | ratio | target | |",
        "|---|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.measured} | {r.ratio:.3g} | {r.target} | "
            f"{'met' if r.met else 'missed'} |"
        )
    lines += ["", "Notes:", ""] + [f"- {r.name}: {r.note}" for r in results]
    lines += [
        "",
        "Profile of `symcount derive gpt3-175b` (cumulative time):",
        "",
        "```",
        profile(),
        "```",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
