"""Tests ``symcount export``: written files load back to the same counts."""

from __future__ import annotations

import json
import sys
import tomllib

import pytest
import sympy
import torch
from hf_configs import SMALL, hf_count

from symcount import count_parameters
from symcount.conventions import Convention
from symcount.derivation import catalogue, load_derivation
from symcount.errors import InputError
from symcount.evaluate import evaluate
from symcount.export import (
    derivation_toml,
    expression_text,
    imported_derivation,
    write_derivation,
)
from symcount.expressions import parse_expression
from symcount.hf_config import load_hf_config
from symcount.render import render_report
from symcount.symbols import dimension
from symcount.torch_import import from_torch
from symcount.verify import verify


def same_counts(before, after) -> None:
    """Equal totals, node by node, under every convention; same values."""
    assert after.values == before.values
    for convention in Convention:
        a = count_parameters(before.network, convention)
        b = count_parameters(after.network, convention)
        assert b.total == a.total, convention
        assert [(p.name, p.expression) for p in b.parts] == [
            (p.name, p.expression) for p in a.parts
        ]
        assert b.buffers == a.buffers and b.active == a.active


class TestRoundTrip:
    @pytest.mark.parametrize("name", catalogue())
    def test_every_catalogue_entry_loads_back_the_same(self, name, tmp_path):
        before = load_derivation(name)
        after = load_derivation(
            write_derivation(before, tmp_path / f"{name}.toml")
        )
        same_counts(before, after)
        assert (after.title, after.convention, after.claims) == (
            before.title,
            before.convention,
            before.claims,
        )
        assert after.symbols == before.symbols
        assert after.verify == before.verify
        assert after.network.ties == before.network.ties
        assert sorted(after.network.G.edges(data="state")) == sorted(
            before.network.G.edges(data="state")
        )

    @pytest.mark.parametrize(
        "name",
        [
            "t5-gated-deep-decoder",
            "bert-mlm-untied",
            "mixtral",
            "qwen2",
            "opt-projected-post-norm",
        ],
    )
    def test_a_config_exported_verifies_against_huggingface(
        self, name, cli, tmp_path
    ):
        config = tmp_path / "config.json"
        config.write_text(json.dumps(SMALL[name]))
        out = tmp_path / "model.toml"
        status, text, _ = cli(
            "export", "--hf-config", str(config), "-o", str(out)
        )
        assert status == 0 and text.startswith(f"wrote {out}: ")
        after = load_derivation(out)
        same_counts(load_hf_config(config), after)
        assert evaluate(after).numbers.value() == hf_count(SMALL[name])[1]
        assert verify(after).agrees

    def test_text_with_quotes_backslashes_and_tabs_survives(self, tmp_path):
        before = load_derivation("seq2seq")
        title = 'A "quoted" \\title\\ with é and \\n'
        description = 'line one "two"\twith a tab\n\nline three \\ end'
        odd = type(before)(
            **{**before.__dict__, "title": title, "description": description}
        )
        after = load_derivation(write_derivation(odd, tmp_path / "odd.toml"))
        assert (after.title, after.description) == (title, description)

    def test_a_network_with_an_opaque_node_reports_from_the_file(
        self, tmp_path
    ):
        model = torch.nn.Sequential(
            torch.nn.Linear(6, 6), torch.nn.Bilinear(6, 6, 2)
        )
        with pytest.warns(UserWarning, match="opaque"):
            network = from_torch(model, symbolize={6: "d"})
        built = sum(p.numel() for p in model.parameters())
        before = imported_derivation(network, source="test", built=built)
        path = write_derivation(before, tmp_path / "opaque.toml")
        data = tomllib.loads(path.read_text())
        assert data["layers"]["1"] == {
            "kind": "Opaque",
            "names": ["weight", "bias"],
            "shapes": [[2, "d", "d"], [2]],
            "module": "Bilinear",
            "tags": ["opaque"],
        }
        after = load_derivation(path)
        same_counts(before, after)
        result = evaluate(after)
        assert result.numbers.value() == built
        assert [c.status for c in result.claims] == ["holds"]
        assert "Opaque" in render_report(result)
        assert verify(after).agrees


class TestExpressions:
    @pytest.mark.parametrize(
        "text",
        [
            "256*ceil(8*d_model/768)",
            "floor(d_model/3) + 1",
            "max(d_model, n) - min(2, n)",
            "d_model % 7 + n",
            "d_model*n/(n + 1)",
            "2^10*n - 3/4*d_model",
            "(d_model + n)^3",
        ],
    )
    def test_written_text_reads_back_to_the_same_expression(self, text):
        symbols = {"d_model": dimension("d_model"), "n": dimension("n")}
        expr = parse_expression(text, symbols)
        written = expression_text(expr)
        assert parse_expression(written, symbols) == expr

    def test_an_expression_the_parser_cannot_read_is_refused(self):
        with pytest.raises(InputError, match="cannot write"):
            expression_text(sympy.sqrt(dimension("d")))


MODELS = """\
import torch
from torch import nn


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_src = nn.Embedding(1600, 10)
        self.encoder = nn.LSTM(10, 12, 4)
        self.embed_tgt = nn.Embedding(800, 10)
        self.decoder = nn.LSTM(10, 12, 4)
        self.softmax = nn.Linear(12, 800)


def build():
    return Seq2Seq()


def broken():
    raise RuntimeError("no weights here")
"""


class TestExportModule:
    @pytest.fixture
    def models(self, tmp_path, monkeypatch):
        (tmp_path / "my_seq2seq.py").write_text(MODELS)
        monkeypatch.chdir(tmp_path)
        monkeypatch.delitem(sys.modules, "my_seq2seq", raising=False)
        return tmp_path

    def test_a_factory_exports_a_file_that_derive_solve_and_check_take(
        self, models, cli
    ):
        status, out, err = cli(
            "export",
            "--module",
            "my_seq2seq:build",
            "--symbolize",
            "1600=V_src",
            "--symbolize",
            "800=V_tgt",
            "--symbolize",
            "10=d",
            "--symbolize",
            "LSTM.hidden_size=n",
            "--symbolize",
            "Linear.in_features=n",
            "--symbolize",
            "4=L",
            "-o",
            "s2s.toml",
        )
        assert status == 0 and not err
        torch_count = sum(
            p.numel() for p in __import__("my_seq2seq").build().parameters()
        )
        status, document, _ = cli("derive", "s2s.toml", "--json", as_json=True)
        paper = count_parameters(load_derivation("seq2seq").network, "pytorch")
        assert document["total"]["value"] == torch_count
        assert document["total"]["expression"] == str(paper.closed_form)
        status, out, _ = cli(
            "solve", "s2s.toml", "--target", str(torch_count), "--for", "V_tgt"
        )
        assert status == 0 and "V_tgt = 800" in out
        status, out, _ = cli("check", "s2s.toml")
        assert status == 0 and "holds" in out

    def test_without_names_the_sizes_that_repeat_are_named(self, models, cli):
        status, text, err = cli("export", "--module", "my_seq2seq:build")
        assert status == 0 and not err
        symbols = tomllib.loads(text)["symbols"]
        assert {k: v["value"] for k, v in symbols.items()} == {
            "embedding_dim": 10,
            "hidden_size": 12,
            "num_layers": 4,
            "num_embeddings": 800,
        }

    @pytest.mark.parametrize(
        "arguments, message",
        [
            (
                ["--module", "my_seq2seq:broken"],
                "broken() raised RuntimeError: no weights here",
            ),
            (
                ["--module", "my_seq2seq:build", "--symbolize", "10"],
                "--symbolize 10: expected N=NAME",
            ),
            (
                ["--module", "my_seq2seq:build", "--symbolize", "LSTM.size=n"],
                "LSTM has no size 'size'",
            ),
            (
                ["my_seq2seq:build"],
                "looks like a module; to import it and call it",
            ),
            (
                ["seq2seq", "--module", "my_seq2seq:build"],
                "give one of NAME|PATH",
            ),
            (
                ["seq2seq", "--symbolize", "10=d"],
                "--symbolize and --name go with --module",
            ),
        ],
    )
    def test_mistakes_are_one_line_and_status_2(
        self, models, cli, arguments, message
    ):
        status, _, err = cli("export", *arguments)
        assert status == 2 and message in err and len(err.splitlines()) == 1

    def test_an_opaque_module_is_a_warning_on_standard_error(
        self, tmp_path, monkeypatch, cli
    ):
        (tmp_path / "odd_models.py").write_text(
            "import torch\n"
            "def build():\n"
            "    return torch.nn.Sequential(torch.nn.Linear(4, 4), "
            "torch.nn.PReLU(4))\n"
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.delitem(sys.modules, "odd_models", raising=False)
        status, _, err = cli(
            "export", "--module", "odd_models:build", "-o", "odd.toml"
        )
        assert status == 0
        assert err.startswith("symcount: warning: from_torch: 1 module(s)")
        assert (
            evaluate(load_derivation(tmp_path / "odd.toml")).numbers.value()
            == 24
        )


def test_a_catalogue_entry_prints_when_no_file_is_given(cli):
    status, text, _ = cli("export", "gpt2-small")
    assert status == 0
    assert text == derivation_toml(load_derivation("gpt2-small"))
    assert tomllib.loads(text)["ties"] == [
        {"tensor": "lm_head.weight", "to": "wte.weight"}
    ]
