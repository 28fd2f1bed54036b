"""Tests that hostile input runs no Python, writes nothing and fails in one line.

An audit hook (PEP 578) watches for what an injection would do: evaluate a
string as code (as ``sympy.sympify`` does), start a process, write or delete a
file, open a socket. It is installed once and records only inside ``watch()``,
and not while Python imports a module (which runs that module's own code).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from symcount.derivation import load_derivation
from symcount.errors import DerivationError, ExpressionError
from symcount.expressions import parse_count, parse_expression
from symcount.symbols import L, d, n

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = {"d": d, "n": n, "L": L}

_RECORDED: list[str] | None = None
_WATCHED = (
    "os.system",
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "os.fork",
    "os.kill",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.symlink",
    "os.truncate",
    "os.chmod",
    "shutil.",
    "subprocess.",
    "pty.",
    "socket.",
    "ctypes.",
    "webbrowser.",
    "urllib.",
    "http.",
    "builtins.input",
    "breakpoint",
)
_CODE_GENERATORS = (
    "sympy/polys/monomials.py",
    "/dataclasses.py",
    "/collections/__init__.py",
)
"""Library modules that exec code they write themselves from fixed templates."""
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _importing() -> bool:
    """Whether Python's import machinery is on the stack (it runs module code)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _audit(event: str, args: tuple) -> None:
    if (
        _RECORDED is None
        or not (event in ("exec", "open") or event.startswith(_WATCHED))
        or _importing()
    ):
        return
    if event == "exec" and getattr(args[0], "co_filename", "") == "<string>":
        caller = sys._getframe(1).f_code.co_filename.replace("\\", "/")
        if not caller.endswith(_CODE_GENERATORS):
            _RECORDED.append("exec of a string")  # eval()/exec() of text
    elif event == "open":
        _, mode, flags = args
        if (mode and any(c in mode for c in "wax+")) or (
            flags or 0
        ) & _WRITE_FLAGS:
            _RECORDED.append(f"open for writing: {args[0]!r}")
    elif event.startswith(_WATCHED):
        _RECORDED.append(event)


sys.addaudithook(_audit)


@contextlib.contextmanager
def watch() -> Iterator[list[str]]:
    """Records watched events inside the block; the caller asserts on them."""
    global _RECORDED
    _RECORDED = []
    try:
        yield _RECORDED
    finally:
        _RECORDED = None


HOSTILE = [
    '__import__("os").system("touch pwned")',
    "__import__('os').system('touch pwned')",
    "exec('import os')",
    "eval('1+1')",
    "(lambda: __import__('os'))()",
    "lambda: 1",
    "().__class__.__base__.__subclasses__()",
    "d.__class__",
    "d.__init__.__globals__",
    "getattr(d, '__class__')",
    "[c for c in ()]",
    "{}.keys()",
    "open('pwned', 'w').write('x')",
    "breakpoint()",
    "globals()",
    "__builtins__",
    "__import__",
    "d; import os",
    "d if __import__('os') else n",
    "f'{__import__(\"os\")}'",
    "d\n__import__('os')",
    "d # __import__('os')",
    "d := 1",
    "yield d",
    "await d",
    "d @ n",
    "max(d, key=len)",
    "max(*[d])",
    "ceil(d, n)",
    "Symbol('x')",
    "sympify('x')",
    "S('x')",
    "E + I + pi + oo + nan",
    "9^9^9^9",
    "9**9**9**9",
    "10**10**10",
    "2^64^64",
    "(d + n)^64",
    "((d^64)^64)^64",
    "1e999999",
    "1e-999",
    "9" * 41,
    "0.1^64",
    "(" * 300 + "d" + ")" * 300,
    "max(" * 40 + "d" + ")" * 40,
    "-" * 499 + "d",
    "d" + "+d" * 1000,
    "x" * 10_000_000,
    "\uff44 + n",  # fullwidth d
    "d + \u0578",  # Armenian vo, looks like n
    "d\u200b",
    "d\u202e",
    "d\x00",
    "",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_expression_is_refused_quickly_and_runs_nothing(text):
    start = time.perf_counter()
    with watch() as events, pytest.raises(ExpressionError) as raised:
        parse_expression(text, SYMBOLS, where="x")

    assert time.perf_counter() - start < 1.0
    assert events == []
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("x: ")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_set_option_exits_2_names_it_and_creates_nothing(
    text, cli, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with watch() as events:
        status, out, err = cli("derive", "seq2seq", "--set", f"d={text}")

    assert (status, out, events) == (2, "", [])
    assert err.startswith("symcount: error: --set d: ")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_target_exits_2_and_names_it(text, cli):
    with watch() as events:
        status, out, err = cli(
            "solve", "seq2seq", f"--target={text}", "--for", "d"
        )

    assert (status, out, events) == (2, "", [])
    assert err.startswith("symcount: error: --target: ")
    assert err.count("\n") == 1


def test_the_watch_sees_sympify_evaluate_text():
    with watch() as events:
        sympy.sympify("1 + 1")
    assert "exec of a string" in events


def test_the_issue_example_in_a_real_process(tmp_path):
    hostile = 'd=__import__("os").system("touch pwned")'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "symcount",
            "derive",
            "seq2seq",
            "--set",
            hostile,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("symcount: error: --set d: calling ")
    assert run.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_refusing_a_huge_target_never_loads_sympy(tmp_path):
    # The refusal is immediate because nothing heavy is imported before it.
    code = (
        "import sys; from symcount.cli import main; "
        "status = main(['solve', 'seq2seq', '--target', '9^9^9^9', '--for', 'd']);"
        " print(status, 'sympy' in sys.modules, 'networkx' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.stdout == "2 False False\n"
    assert run.stderr == (
        "symcount: error: --target: exponent 387420489 refused; "
        "exponents are whole numbers from 0 to 64\n"
    )


class TestParserFuzz:
    TOKENS = [
        "d",
        "n",
        "L",
        "m",
        "x",
        "_",
        "__class__",
        "__import__",
        "os",
        "system",
        "lambda",
        ":",
        ".",
        ",",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "'",
        '"',
        "\\",
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "^",
        "**",
        "@",
        "=",
        "==",
        "<",
        "!",
        "~",
        "&",
        "|",
        ";",
        "#",
        " ",
        "\t",
        "\n",
        "\x00",
        "0",
        "1",
        "9",
        "1e308",
        "1e-300",
        "0x1f",
        "1j",
        "1_000",
        ".5",
        "9" * 30,
        "max",
        "min",
        "ceil",
        "floor",
        "eval",
        "exec",
        "open",
        "getattr",
        "if",
        "else",
        "for",
        "in",
        "not",
        "and",
        "yield",
        "await",
        "f'",
        "\uff44",
        "\u0578",
        "\u00d7",
    ]
    soup = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
    nested = st.builds(
        lambda k, wrap: wrap[0] * k + "d" + wrap[1] * k,
        st.integers(0, 400),
        st.sampled_from(
            [
                ("(", ")"),
                ("-", ""),
                ("max(", ")"),
                ("ceil(", ")"),
                ("d^", ""),
                ("2^", ""),
                ("d*", ""),
                ("(d+", ")"),
            ]
        ),
    )
    numbers = st.one_of(
        st.integers(-(10**80), 10**80).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.tuples(st.integers(0, 99), st.integers(-999, 999)).map(
            lambda t: f"{t[0]}e{t[1]}"
        ),
    )

    @settings(max_examples=400, deadline=None)
    @given(st.one_of(st.text(max_size=80), soup, nested, numbers))
    def test_any_text_parses_or_fails_cleanly_and_runs_nothing(self, text):
        with watch() as events:
            try:
                expr = parse_expression(text, SYMBOLS, where="x")
            except ExpressionError as err:
                assert "\n" not in str(err)
            else:
                assert expr.free_symbols <= set(SYMBOLS.values())
        assert events == []

    @settings(max_examples=200, deadline=None)
    @given(st.one_of(st.text(max_size=40), soup, numbers))
    def test_any_count_parses_or_fails_cleanly(self, text):
        with watch() as events:
            try:
                value = parse_count(text, where="t")
            except ExpressionError as err:
                assert str(err).startswith("t: ")
            else:
                assert isinstance(value, int) and 0 < value < 10**40
        assert events == []

    leaves = st.integers(0, 999).map(lambda v: (str(v), Fraction(v), v))

    @staticmethod
    def combine(children):
        def build(a, op, b):
            (ta, va, ma), (tb, vb, mb) = a, b
            text = f"({ta}{op}{tb})"
            if va is None or vb is None:
                return text, None, max(ma, mb)
            if op == "+":
                value = va + vb
            elif op == "-":
                value = va - vb
            elif op == "*":
                value = va * vb
            elif vb == 0:
                return text, None, max(ma, mb)
            else:
                value = va / vb
            size = max(abs(value.numerator), value.denominator)
            return text, value, max(ma, mb, size)

        return st.builds(build, children, st.sampled_from("+-*/"), children)

    @settings(max_examples=300, deadline=None)
    @given(st.recursive(leaves, combine, max_leaves=12))
    def test_arithmetic_agrees_with_exact_fractions(self, tree):
        text, value, largest = tree
        if value is None or largest >= 10**40:
            with pytest.raises(ExpressionError):
                parse_expression(text)
            return
        assert parse_expression(text) == sympy.Rational(value)


# The loader, fed a small valid derivation with one value replaced.

TEMPLATE = """\
title = {title}
convention = {convention}

[citation]
authors = {authors}
year = {year}

[symbols]
V = {{ meaning = {meaning}, value = {V} }}
d = {{ meaning = "embedding size", value = 64 }}
n = {{ meaning = "hidden size", value = {n} }}

[layers.{node}]
kind = {kind}
num_embeddings = "V"
embedding_dim = {embedding_dim}
{extra} = {extra_value}

[layers.rnn]
kind = "LSTM"
hidden_size = {hidden}
num_layers = {layers}
bias = {bias}
tags = {tags}

[layers.out]
kind = "Linear"
out_features = "V"

[[edges]]
from = {source}
to = "rnn"

[[edges]]
from = "rnn"
to = "out"

[[ties]]
tensor = {tie}
to = "{node_plain}.weight"

[[claims]]
name = "total"
of = {of}
value = {claim}
"""
DEFAULTS = {
    "title": '"A tiny model"',
    "convention": '"paper"',
    "authors": '["A. Author"]',
    "year": "2014",
    "meaning": '"vocabulary size"',
    "V": "1000",
    "n": "128",
    "node": "embed",
    "node_plain": "embed",
    "kind": '"Embedding"',
    "embedding_dim": '"d"',
    "extra": "group",
    "extra_value": '"input"',
    "hidden": '"d"',
    "layers": "2",
    "bias": "false",
    "tags": '["recurrent"]',
    "source": '"embed"',
    "tie": '"out.weight"',
    "of": '"total"',
    "claim": '"1M"',
}


def toml_value(value: object) -> str:
    """Writes a Python value as a TOML value (hypothesis builds the values)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(
            repr(value), repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return (
        "{ "
        + ", ".join(
            f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()
        )
        + " }"
    )


hostile_strings = st.one_of(
    st.sampled_from([h for h in HOSTILE if len(h) < 2000]), st.text(max_size=30)
)
values = st.recursive(
    st.one_of(
        hostile_strings,
        st.integers(-(10**45), 10**45),
        st.booleans(),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=5,
)


def check_loader(path: Path, cli) -> None:
    """Loads ``path``: a derivation or one clean error, and never Python run."""
    with watch() as events:
        try:
            load_derivation(path)
        except DerivationError as err:
            message = str(err)
            assert message.startswith(f"{path}:")
            assert message.split(":")[1].isdigit(), message
            assert "\n" not in message
            loaded = False
            event(f"refused at {err.key}")
        else:
            loaded = True
            event("loaded")
        status, _, err = cli("derive", str(path))
    assert events == []
    assert status in (0, 2) and (status == 0) == loaded, err
    assert "internal error" not in err and err.count("\n") <= 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    slot=st.sampled_from(sorted(DEFAULTS)), value=values, as_text=st.booleans()
)
def test_loader_with_one_hostile_value(tmp_path, cli, slot, value, as_text):
    replacement = toml_value(value)
    if as_text and slot not in ("node", "extra"):
        replacement = json.dumps(replacement)
    fields = {**DEFAULTS, slot: replacement}
    if slot in ("node", "extra"):
        fields[slot] = json.dumps(str(value))
    path = tmp_path / "fuzzed.toml"
    path.write_text(TEMPLATE.format(**fields), encoding="utf-8")
    check_loader(path, cli)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode))
)
def test_loader_with_random_bytes(tmp_path, cli, content):
    path = tmp_path / "random.toml"
    path.write_bytes(content)
    check_loader(path, cli)


def test_the_template_loads(tmp_path, cli):
    # So the fuzzing above starts from a derivation that loads and counts.
    path = tmp_path / "tiny.toml"
    path.write_text(TEMPLATE.format(**DEFAULTS), encoding="utf-8")
    status, out, err = cli("derive", str(path), "--json", as_json=True)
    assert (status, err) == (0, "")
    assert out["claims"][0]["status"] in ("holds", "fails")


class TestCommandLine:
    def test_an_internal_error_is_one_line_suggesting_debug(
        self, cli, monkeypatch
    ):
        import symcount.summary

        def broken(result):
            raise KeyError("boom")

        monkeypatch.setattr(symcount.summary, "derive_table", broken)
        status, out, err = cli("derive", "seq2seq")

        assert (status, out) == (2, "")
        assert err == (
            "symcount: internal error: KeyError: 'boom'; this is a bug in "
            "symcount, rerun with --debug for the traceback\n"
        )

    def test_debug_shows_an_internal_error_s_traceback(self, cli, monkeypatch):
        import symcount.summary

        monkeypatch.setattr(
            symcount.summary, "derive_table", lambda result: {}["boom"]
        )
        status, _, err = cli("--debug", "derive", "seq2seq")

        assert status == 2
        assert err.startswith("Traceback (most recent call last):")
        assert err.rstrip().endswith("rerun with --debug for the traceback")

    def test_usage_errors_return_2_without_a_traceback(self, cli):
        status, out, err = cli("derive")
        assert (status, out) == (2, "")
        assert "Traceback" not in err and "required" in err

    def test_help_returns_0(self, cli):
        status, out, _ = cli("--help")
        assert status == 0 and out.startswith("usage: symcount")

    @pytest.mark.parametrize(
        "name", ["a\x00b", "x" * 5000, "../" * 2000 + "a.toml", "\x1b[2J", ""]
    )
    def test_strange_derivation_names_fail_cleanly(self, cli, name):
        status, out, err = cli("derive", name)
        assert (status, out) == (2, "")
        assert err.startswith("symcount: error: ") and err.count("\n") == 1
        assert "\x1b" not in err and "\x00" not in err

    def test_a_file_too_large_is_refused_before_parsing(self, cli, tmp_path):
        path = tmp_path / "big.toml"
        path.write_text("# " + "x" * 2_000_000 + "\n")
        status, _, err = cli("derive", str(path))
        assert status == 2
        assert err == (
            f"symcount: error: {path}: file larger than 1000000 bytes "
            "refused; a derivation is a small text file\n"
        )
