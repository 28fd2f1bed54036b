"""Tests the seq2seq derivation against the paper's numbers and a torch.nn build.

Sutskever, Vinyals & Le (2014), section 3.4: "The resulting LSTM has 384M
parameters of which 64M are pure recurrent connections (32M for the encoder
LSTM and 32M for the decoder LSTM)".
"""

from __future__ import annotations

import pytest
import torch

from symcount.evaluate import evaluate
from symcount.symbols import L


class Seq2Seq(torch.nn.Module):
    """The paper's model in torch.nn: two embeddings, two LSTM stacks, a softmax."""

    def __init__(self, bias: bool, layers: int = 4) -> None:
        super().__init__()
        self.embed_src = torch.nn.Embedding(160_000, 1000)
        self.encoder = torch.nn.LSTM(1000, 1000, layers, bias=bias)
        self.embed_tgt = torch.nn.Embedding(80_000, 1000)
        self.decoder = torch.nn.LSTM(1000, 1000, layers, bias=bias)
        self.softmax = torch.nn.Linear(1000, 80_000, bias=bias)


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def torch_models():
    with torch.device("meta"):
        return {bias: Seq2Seq(bias) for bias in (False, True)}


def test_paper_convention_gives_the_papers_384m(seq2seq, torch_models):
    result = evaluate(seq2seq)
    assert result.numbers.value() == 384_000_000 == numel(torch_models[False])
    assert all(check.holds for check in result.claims)


def test_pytorch_convention_equals_torch_numel(seq2seq, torch_models):
    result = evaluate(seq2seq, "pytorch")
    assert result.numbers.value() == numel(torch_models[True]) == 384_144_000
    for part in result.numbers.parts:
        module = getattr(torch_models[True], part.name)
        assert part.expression == numel(module), part.name


def test_recurrent_claims_match_the_lstm_stacks(seq2seq, torch_models):
    result = evaluate(seq2seq)
    encoder = numel(torch_models[False].encoder)
    assert result.numbers.tags["recurrent"] == 2 * encoder == 64_000_000
    assert result.numbers.value("node:encoder") == encoder == 32_000_000


def test_keras_convention(seq2seq):
    # Keras counts an LSTM layer of n units on m inputs as 4 * (n * (m + n) + n)
    # and a Dense layer of k units on n inputs as n * k + k.
    lstm = 4 * (1000 * (1000 + 1000) + 1000)
    expected = 160_000 * 1000 + 80_000 * 1000 + 2 * 4 * lstm + 1000 * 80_000 + 80_000
    assert evaluate(seq2seq, "keras").numbers.value() == expected == 384_112_000


def test_two_layers_give_352m(seq2seq):
    with torch.device("meta"):
        model = Seq2Seq(bias=False, layers=2)
    result = evaluate(seq2seq, overrides={L: 2})
    assert result.numbers.value() == numel(model) == 352_000_000
