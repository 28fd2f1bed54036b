"""Tests the proof document: golden LaTeX, the compiled PDF's text, and escaping."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import jinja2
import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st

from symcount import count_parameters
from symcount.conventions import Convention
from symcount.derivation import load_derivation
from symcount.errors import RenderError
from symcount.evaluate import evaluate
from symcount.expressions import parse_count
from symcount.layers import GRU, LSTM, RNN, Embedding, Layer, Linear, Tensor
from symcount.render import INSTALL_COMMAND, render_report, write_report
from symcount.render.context import report_context
from symcount.render.environment import environment
from symcount.render.latex import escape_text, number, symbol_name
from symcount.render.lemmas import lemmas
from symcount.render.pdf import compile_pdf
from symcount.solve import solve_for
from symcount.symbols import L, d, n

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
INJECTION = HERE / "data" / "injection.toml"

# The strings a hostile derivation file tries to smuggle into LaTeX.
HOSTILE = [
    "\\input{/etc/passwd}",
    "\\write18{touch",
    "100% & a_b #1 $x$ {y} ~z ^w",
    "\\end{document}",
    "% & _ # $ { } ~ ^ \\",
    "\\textbf{Mallory}",
    "https://example.org/a%20b#frag~x",
    "<angles>, |bars|",
    "${V}$",
]


def pdf_text(pdf: Path) -> str:
    """The text of ``pdf`` as ``pdftotext`` reads it, lines joined by spaces.

    A word hyphenated at a line's end is joined again.
    """
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", done.stdout).split())


def without_version(tex: str) -> str:
    """The LaTeX with symcount's version replaced, so a release keeps the files."""
    return re.sub(r"symcount (\d+(?:\.\w+)*|unreleased)", "symcount VERSION", tex)


class TestGolden:
    """The rendered LaTeX matches the reviewed files in tests/golden/.

    Regenerate them with ``python -m pytest tests/test_render.py
    --overwrite-golden`` and review the diff before committing.
    """

    CASES = {
        "seq2seq": ("seq2seq", None, None),
        "seq2seq-pytorch-solve-d": ("seq2seq", "pytorch", ("d", "384M")),
        "injection": (str(INJECTION), None, None),
    }

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_matches_golden_file(self, name, request):
        source, convention, solve = self.CASES[name]
        result = evaluate(load_derivation(source), convention)
        solution = None
        if solve:
            symbol = result.derivation.symbol_table[solve[0]]
            solution = solve_for(
                result.count, symbol, parse_count(solve[1]), result.values
            )
        tex = without_version(render_report(result, solution))
        path = GOLDEN / f"{name}.tex"
        if request.config.getoption("--overwrite-golden"):
            path.write_text(tex, encoding="utf-8")
        assert tex == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seq2seq_pdf(tmp_path_factory):
    """``symcount report seq2seq -o DIR --solve d --target 384M``, run once."""
    from symcount.cli import main

    folder = tmp_path_factory.mktemp("report")
    status = main(
        [
            "report",
            "seq2seq",
            "-o",
            str(folder),
            "--solve",
            "d",
            "--target",
            "384M",
        ]
    )
    assert status == 0
    return folder


class TestSeq2seqPdf:
    def test_writes_tex_and_pdf(self, seq2seq_pdf):
        assert sorted(p.name for p in seq2seq_pdf.iterdir()) == [
            "seq2seq.pdf",
            "seq2seq.tex",
        ]

    def test_text_holds_the_papers_numbers(self, seq2seq_pdf):
        text = pdf_text(seq2seq_pdf / "seq2seq.pdf")
        # Section 3.4 of the paper: 384M parameters, 64M recurrent, d = 1000.
        assert "384,000,000" in text
        assert "of which 64M are pure recurrent connections" in text
        assert "64,000,000" in text
        assert "d = 1000" in text
        assert "Lemma B.2 (LSTM layer)" in text
        assert "four gates (input, forget, cell and output)" in text

    def test_text_holds_torchs_count_under_the_pytorch_convention(
        self, seq2seq_pdf
    ):
        modules = [
            torch.nn.Embedding(160_000, 1000, device="meta"),
            torch.nn.LSTM(1000, 1000, 4, device="meta"),
            torch.nn.Embedding(80_000, 1000, device="meta"),
            torch.nn.LSTM(1000, 1000, 4, device="meta"),
            torch.nn.Linear(1000, 80_000, device="meta"),
        ]
        total = sum(p.numel() for m in modules for p in m.parameters())
        assert f"{total:,}" in pdf_text(seq2seq_pdf / "seq2seq.pdf")

    def test_fonts_are_all_scalable(self, seq2seq_pdf):
        fonts = subprocess.run(
            ["pdffonts", str(seq2seq_pdf / "seq2seq.pdf")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Type 1" in fonts
        assert "Type 3" not in fonts  # bitmap fonts read back as garbage

    def test_no_line_runs_into_the_margin(self, tmp_path, seq2seq):
        for convention in ("paper", "keras", "pytorch"):
            files = write_report(
                evaluate(seq2seq, convention), tmp_path, pdf=True
            )
            assert files.overfull == ()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The injection derivation compiled once, and where `touch` would write."""
    folder = tmp_path_factory.mktemp("injection")
    marker = folder / "pwned"
    text = INJECTION.read_text().replace("touch pwned", f"touch {marker}")
    source = folder / "injection.toml"
    source.write_text(text)
    files = write_report(evaluate(load_derivation(source)), folder / "out", pdf=True)
    return files, marker


class TestInjection:
    """Text from a derivation file is printed literally; none of it runs."""

    def test_compiles(self, rendered):
        files, _ = rendered
        assert files.pdf is not None and files.pdf.read_bytes().startswith(
            b"%PDF"
        )

    @pytest.mark.parametrize("literal", HOSTILE)
    def test_text_appears_literally(self, rendered, literal):
        files, _ = rendered
        assert literal in pdf_text(files.pdf)

    def test_nothing_runs_and_nothing_is_read(self, rendered):
        files, marker = rendered
        assert not marker.exists()
        assert "root:" not in pdf_text(files.pdf)
        tex = files.tex.read_text()
        assert not re.search(
            r"(?<!\\textbackslash\{\})\\(write18|input\{/)", tex
        )


class TestPdf:
    def test_tex_runs_without_shell_escape(self, tmp_path):
        marker = tmp_path / "ran"
        doc = (
            "\\documentclass{article}\\begin{document}"
            f"\\immediate\\write18{{touch {marker}}}x\\end{{document}}"
        )
        assert compile_pdf(doc, "shell").pdf.startswith(b"%PDF")
        assert not marker.exists()

    def test_tex_cannot_read_files_outside_its_folder(self):
        doc = "\\documentclass{article}\n\\begin{document}\n\\input{/etc/passwd}\n"
        with pytest.raises(RenderError, match=r"read\.tex line 3"):
            compile_pdf(doc + "\\end{document}\n", "read")

    def test_error_names_the_log_line(self):
        doc = "\\documentclass{article}\n\\begin{document}\n\\nosuchmacro\n"
        with pytest.raises(
            RenderError,
            match=r"broken\.tex line 3: .*Undefined "
            r"control sequence",
        ):
            compile_pdf(doc + "\\end{document}\n", "broken")

    def test_failure_leaves_the_folder_untouched(
        self, tmp_path, seq2seq, monkeypatch
    ):
        import symcount.render.report as report

        (tmp_path / "seq2seq.tex").write_text("earlier")
        monkeypatch.setattr(report, "render_report", lambda *a, **k: "\\bad")
        with pytest.raises(RenderError, match="LaTeX failed"):
            write_report(evaluate(seq2seq), tmp_path, pdf=True)
        assert [p.name for p in tmp_path.iterdir()] == ["seq2seq.tex"]
        assert (tmp_path / "seq2seq.tex").read_text() == "earlier"


class TestWithoutTex:
    @pytest.fixture
    def no_tex(self, tmp_path, monkeypatch):
        empty = tmp_path / "bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
        return tmp_path / "out"

    def test_writes_tex_and_says_how_to_get_the_pdf(self, cli, no_tex):
        status, out, _ = cli("report", "seq2seq", "-o", str(no_tex))
        assert status == 0
        assert [p.name for p in no_tex.iterdir()] == ["seq2seq.tex"]
        assert INSTALL_COMMAND in out

    def test_pdf_flag_fails_with_the_install_command(self, cli, no_tex):
        status, _, err = cli("report", "seq2seq", "-o", str(no_tex), "--pdf")
        assert status == 2
        assert INSTALL_COMMAND in err
        assert not no_tex.exists()


class TestCli:
    def test_solve_needs_target(self, cli, tmp_path):
        status, _, err = cli(
            "report", "seq2seq", "-o", str(tmp_path), "--solve", "d"
        )
        assert status == 2 and "--target" in err

    def test_unknown_symbol_is_named(self, cli, tmp_path):
        status, _, err = cli(
            "report",
            "seq2seq",
            "-o",
            str(tmp_path),
            "--solve",
            "q",
            "--target",
            "1M",
        )
        assert status == 2 and "q" in err and "V_src" in err


class TestEscaping:
    SAFE = re.compile(
        r"\\(?:(?:textbackslash|textbraceleft|textbraceright|texttt|"
        r"upshape|ldots|[uvHcdkr]|ss|ae|AE|o|O|oe|OE|l|L|i|j|S|P|dag|"
        r"ddag|copyright|pounds|times|cdot)(?![A-Za-z])|char\d+|"
        r"[%&#`'^\"~=.])"
    )

    @given(st.text())
    def test_leaves_no_live_markup(self, text):
        latex = escape_text(text)
        bare = self.SAFE.sub("", latex)
        assert "\\" not in bare
        assert not re.search(r"(?<!\\)[%#&]", latex.replace("\\char", ""))
        assert latex.count("{") == latex.count("}")

    @pytest.mark.parametrize(
        "name,latex",
        [
            ("V_src", "V_{\\mathrm{src}}"),
            ("d_model", "d_{\\mathrm{model}}"),
            ("n", "n"),
            ("alpha_k", "\\alpha_{k}"),
            ("W1", "W_{1}"),
            ("vocab_size", "\\mathit{vocab}_{\\mathrm{size}}"),
        ],
    )
    def test_symbol_names(self, name, latex):
        assert symbol_name(name) == latex


class TestEnvironment:
    def test_missing_variable_fails_loudly(self):
        with pytest.raises(jinja2.UndefinedError):
            environment().from_string("\\VAR{missing}").render()

    def test_sympy_values_are_refused(self):
        with pytest.raises(TypeError, match="context must give"):
            environment().from_string("\\VAR{x}").render(x=sympy.Symbol("x"))


TORCH = {RNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}


class TestLemmas:
    @pytest.mark.parametrize("kind", [RNN, LSTM, GRU])
    @pytest.mark.parametrize(
        "layers,bidirectional", [(1, False), (3, False), (2, True)]
    )
    def test_recurrent_lemma_gives_torchs_count(
        self, kind, layers, bidirectional
    ):
        expected = sum(
            p.numel()
            for p in TORCH[kind](
                7, 5, layers, bidirectional=bidirectional, device="meta"
            ).parameters()
        )
        count = count_parameters(
            kind(7, 5, layers, bidirectional=bidirectional), "pytorch"
        )
        (lemma,) = lemmas(count.parts, count.convention)
        (instance,) = lemma.instances
        assert f"P_{{\\mathrm{{{kind.kind}}}}}" in instance.application[0]
        assert instance.total == number(expected)

    def test_projected_lstm_lemma_gives_torchs_count(self):
        module = torch.nn.LSTM(7, 5, 2, proj_size=3, device="meta")
        expected = sum(p.numel() for p in module.parameters())
        count = count_parameters(LSTM(7, 5, 2, proj_size=3), "pytorch")
        (instance,) = lemmas(count.parts, count.convention)[0].instances
        assert "P_{\\mathrm{LSTM}}(7, 5, 3)" in instance.application[0]
        assert instance.total == number(expected)

    def test_lemma_per_convention_matches_the_layer(self):
        count = count_parameters(LSTM(d, n, L))
        forms = dict(lemmas(count.parts, count.convention)[0].conventions)
        assert forms == {
            "paper": "4 \\left(m n + n^{2}\\right)",
            "keras": "4 \\left(m n + n^{2} + n\\right)",
            "pytorch": "4 \\left(m n + n^{2} + 2 n\\right)",
        }

    @pytest.mark.parametrize(
        "layer,module",
        [
            (Embedding(11, 4), torch.nn.Embedding(11, 4, device="meta")),
            (Linear(4, 6), torch.nn.Linear(4, 6, device="meta")),
        ],
    )
    def test_feedforward_lemmas_give_torchs_count(self, layer, module):
        count = count_parameters(layer, "pytorch")
        (instance,) = lemmas(count.parts, count.convention)[0].instances
        assert instance.total == number(
            sum(p.numel() for p in module.parameters())
        )


@dataclass(frozen=True)
class Bilinear(Layer):
    """A layer kind the lemmas do not know: torch.nn.Bilinear's tensors."""

    kind: ClassVar[str] = "Bilinear"

    in1_features: sympy.Expr
    in2_features: sympy.Expr
    out_features: sympy.Expr

    @property
    def output_dim(self) -> sympy.Expr:
        return self.out_features

    def tensors(self, convention: Convention | str = Convention.PAPER):
        shape = (self.out_features, self.in1_features, self.in2_features)
        return (Tensor("weight", shape),
                Tensor("bias", (self.out_features,), role="bias"))


def test_unknown_kind_gets_the_generic_lemma_from_its_tensors():
    module = torch.nn.Bilinear(3, 4, 5, device="meta")
    count = count_parameters(Bilinear(3, 4, 5))
    (lemma,) = lemmas(count.parts, count.convention)
    (instance,) = lemma.instances
    assert lemma.kind == "Bilinear"
    assert [str(t.name) for t in instance.tensors] == [
        f"\\texttt{{{name}}}" for name, _ in module.named_parameters()]
    assert instance.total == number(sum(p.numel() for p in module.parameters()))


def test_graph_draws_the_target_embedding_beside_the_decoder(seq2seq):
    graph = report_context(evaluate(seq2seq))["graph"]
    where = {
        node["id"]: (float(node["x"]), float(node["y"]))
        for node in graph["nodes"]
    }
    names = {str(node["name"]): node["id"] for node in graph["nodes"]}
    encoder, embed_tgt = (
        where[names["\\texttt{encoder}"]],
        where[names["\\texttt{embed\\texttt{\\char95}tgt}"]],
    )
    assert embed_tgt[0] == encoder[0]  # one column before the decoder
    assert len(set(where.values())) == len(where)
