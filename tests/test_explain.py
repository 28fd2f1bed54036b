"""Tests explain: marginal costs against torch.nn builds, terms and conventions."""

from __future__ import annotations

import torch

from symcount.conventions import Convention
from symcount.evaluate import evaluate
from symcount.explain import explain
from symcount.symbols import L, V_src, d


def torch_seq2seq(width: int, layers: int, vocab_src: int = 160_000) -> int:
    with torch.device("meta"):
        modules = [
            torch.nn.Embedding(vocab_src, width),
            torch.nn.LSTM(width, 1000, layers, bias=False),
            torch.nn.Embedding(80_000, width),
            torch.nn.LSTM(width, 1000, layers, bias=False),
            torch.nn.Linear(1000, 80_000, bias=False),
        ]
    return sum(p.numel() for m in modules for p in m.parameters())


def test_marginal_costs_match_torch_differences(seq2seq):
    effects = {e.symbol: e for e in explain(evaluate(seq2seq)).effects}
    base = torch_seq2seq(1000, 4)
    assert effects[d].marginal == torch_seq2seq(1001, 4) - base == 248_000
    assert effects[L].marginal == torch_seq2seq(1000, 5) - base == 16_000_000
    assert effects[V_src].marginal == torch_seq2seq(1000, 4, 160_001) - base


def test_terms_sum_to_total_largest_first(seq2seq):
    answer = explain(evaluate(seq2seq))
    assert sum(t.value for t in answer.terms) == answer.total == 384_000_000
    assert str(answer.terms[0].expression) == "V_src*d"


def test_conventions_side_by_side(seq2seq):
    answer = explain(evaluate(seq2seq))
    assert dict(answer.conventions) == {
        Convention.PAPER: 384_000_000,
        Convention.KERAS: 384_112_000,
        Convention.PYTORCH: 384_144_000,
    }


def test_cli_explain(cli):
    status, document, _ = cli("explain", "seq2seq", "--json", as_json=True)
    assert status == 0
    assert document["symbols"]["d"]["marginal"] == 248_000
    assert document["groups"] == {"encoder": 192_000_000, "decoder": 192_000_000}
